#!/usr/bin/env bash
# Makes a headless Chromium available for the browser test of the HTML report
# (tests/e2e/test_html_report.py). Installs it from the system's packages when no browser is
# on PATH; does nothing when one is. Never fails the build: without a browser that test skips.
set -u

find_browser() {
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if found="$(find_browser)"; then
  echo "browser.sh: using $found" >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser.sh: no apt-get; the browser test will be skipped" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "browser.sh: not root and no sudo; the browser test will be skipped" >&2
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
for pkg in chromium chromium-browser; do
  if $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1; then
    if found="$(find_browser)"; then
      echo "browser.sh: installed $pkg ($found)" >&2
      exit 0
    fi
  fi
done

echo "browser.sh: could not install Chromium; the browser test will be skipped" >&2
exit 0
