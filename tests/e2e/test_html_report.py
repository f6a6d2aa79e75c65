"""The HTML report in a real headless Chromium: injected markup stays text and never runs.

The fixture puts script tags, an ``<img onerror>`` and a ``</textarea>`` breakout into record
text, a JSON key (which ends up in a finding's message), the sidecar's source and label, class
labels and an extra section. The payloads would change ``document.title`` and set a
``data-pwned-*`` attribute; Chromium's ``--dump-dom`` shows the DOM after the page has loaded,
so either effect would be visible. A positive control injects the same payload raw and checks
that this harness does see it run. Skipped where no Chromium is installed (.ci/browser.sh).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from fineprep.core.config import Settings
from fineprep.report import render
from fineprep.report.html import render_html
from fineprep.stages.check.engine import check_files
from tests.unit.test_html_report import Doc, assert_inert, without_own_scripts

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((p for p in map(shutil.which, BROWSERS) if p), None)
needs_browser = pytest.mark.skipif(BROWSER is None, reason="no Chromium (run .ci/browser.sh)")

SCRIPT = "document.title='pwned';document.documentElement.setAttribute('data-pwned-script','1')"
SCRIPT_TAG = f"<script>{SCRIPT}</script>"
IMG_TAG = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned-img','1')\">"
BREAKOUT = f"</textarea></pre></td></table>{SCRIPT_TAG}"
TITLE = "fineprep data report"


def write_fixture(root: Path) -> Path:
    """A prompt-completion file whose findings carry every payload, with a hostile sidecar."""
    records = [
        json.dumps({"prompt": f"Hello {{{{name}}}} {SCRIPT_TAG}", "completion": "Hi."}),
        json.dumps({"prompt": "ok", "completion": "ok", IMG_TAG: 1}),
        json.dumps({"prompt": f"mail jane@example.com {BREAKOUT}", "completion": IMG_TAG}),
        '{"prompt": "' + SCRIPT_TAG + IMG_TAG.replace('"', "'"),  # invalid JSON: shown raw
    ]
    data = root / "train.jsonl"
    data.write_text("\n".join(records) + "\n", encoding="utf-8")
    meta = [json.dumps({"label": IMG_TAG, "source": f"deeds.csv:row {SCRIPT_TAG}"})] * 4
    (root / "train.meta.jsonl").write_text("\n".join(meta) + "\n", encoding="utf-8")
    return data


def browser(tmp_path: Path, *args: str) -> str:
    assert BROWSER is not None
    cmd = [
        BROWSER, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
        "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(tmp_path: Path, page: Path) -> str:
    return browser(tmp_path, "--dump-dom", page.resolve().as_uri())


def title_of(dom: str) -> str:
    m = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert m, dom[:500]
    return html.unescape(m.group(1))


def pwned(doc: Doc) -> set[str]:
    """The ``data-pwned-*`` attributes the payloads would set on any element."""
    return {name for _, attrs in doc.elements for name in attrs if name.startswith("data-pwned")}


def assert_not_run(dom: str, shown: tuple[str, ...] = (SCRIPT_TAG, IMG_TAG, BREAKOUT)) -> None:
    doc = Doc(without_own_scripts(dom))
    assert title_of(dom) == TITLE
    assert not pwned(doc)
    assert not [t for t, _ in doc.elements if t in {"script", "img", "textarea", "iframe"}]
    assert_inert(doc)
    for payload in shown:
        assert payload in doc.text  # shown to the reader, as text


def hostile_report(tmp_path: Path) -> str:
    data = write_fixture(tmp_path)
    result = check_files([str(data)], Settings(model="cohere-command"))
    codes = {f.code for f in result.findings}
    assert {"P001", "S001", "H002", "H003"} <= codes, codes
    result.stats["balance"] = {"classes": {IMG_TAG: {"train": 3}, SCRIPT_TAG: {"train": 1}}}
    return render_html(
        result, sections={f"Split {SCRIPT_TAG}": {"train": {IMG_TAG: 3, "records": 4}}}
    )


@needs_browser
def test_injected_markup_stays_text_in_chromium(tmp_path: Path) -> None:
    report = hostile_report(tmp_path)
    page = tmp_path / "report.html"
    page.write_text(report, encoding="utf-8")
    assert_not_run(dump_dom(tmp_path, page))

    # Without the Content-Security-Policy, escaping alone must still keep the payloads inert.
    csp = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
    # The report's own script ran (it shows the worklist tools) under the policy.
    assert 'id="worklist-tools" hidden' not in dump_dom(tmp_path, page)
    assert csp.search(report)
    bare = tmp_path / "bare.html"
    bare.write_text(csp.sub("", report), encoding="utf-8")
    assert_not_run(dump_dom(tmp_path, bare))

    # Positive control: the same payloads inserted unescaped do run in this browser.
    control = tmp_path / "control.html"
    control.write_text(
        csp.sub("", report).replace("</body>", f"{SCRIPT_TAG}{IMG_TAG}</body>"), encoding="utf-8"
    )
    dom = dump_dom(tmp_path, control)
    assert title_of(dom) == "pwned"
    assert pwned(Doc(dom)) == {"data-pwned-script", "data-pwned-img"}


@needs_browser
def test_screenshot_is_written(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(hostile_report(tmp_path), encoding="utf-8")
    shot = tmp_path / "report.png"
    browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", page.resolve().as_uri())
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 2400)
    assert len(png) > 20_000  # a rendered page, not a blank canvas


@needs_browser
def test_cli_writes_the_html_report(tmp_path: Path) -> None:
    data = write_fixture(tmp_path)
    out = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "fineprep", "check", str(data), "-m", "cohere-command",
         "--isolated", "--output-format", "html", "-o", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the fixture has errors
    assert done.stdout == ""
    assert out.read_text(encoding="utf-8") == render(
        check_files([str(data)], Settings(model="cohere-command")), "html"
    )
    dom = dump_dom(tmp_path, out)
    assert_not_run(dom, shown=(SCRIPT_TAG, BREAKOUT))
    assert Doc(dom).texts["verdict"].startswith("Failed")
