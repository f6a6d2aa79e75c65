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
import os
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
from tests.e2e.cdp import Browser
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


# -- the worklist: search, filters, sorting, the CSV download, phone width ----------------------

CHAT = '{"schemaVersion":"bedrock-conversation-2024","system":[{"text":"Classify the review."}],'
PHONE, DESKTOP = 390, 1280


def chat(text: str, answer: str, image: str | None = None) -> str:
    content = [{"text": text}]
    if image:
        content.append({"image": {"format": "png", "source": {"s3Location": {"uri": image}}}})
    messages = [{"role": "user", "content": content},
                {"role": "assistant", "content": [{"text": answer}]}]  # fmt: skip
    return CHAT + '"messages":' + json.dumps(messages) + "}"


def write_labelled(root: Path) -> tuple[Path, Path]:
    """A train and a validation file with sidecars: duplicates, a conflicting label, a leak,
    a placeholder, an e-mail address, a long unbroken token, and class findings."""
    texts = [
        ("The blender crushes ice in seconds", "positive"),
        ("The lid cracked after two days", "negative"),
        ("The blender crushes ice in seconds", "positive"),  # D001 of line 1
        ("The lid cracked after two days", "positive"),  # D002 with line 2
        ("Hello {{customer_name}}, how was the kettle?", "neutral"),  # H003
        ("Write to jane.doe@example.com about the refund", "neutral"),  # H002
        ("x" * 300, "neutral"),  # a long word that must wrap at phone width
        ("Look at this photo of the toaster ", "positive"),  # L003
    ]
    train, val = root / "train.jsonl", root / "validation.jsonl"
    image = "s3://bucket/imgs/toaster-front.png"
    train.write_text(
        "\n".join(chat(t, a, image if "photo" in t else None) for t, a in texts) + "\n"
    )
    meta = [{"source": f"reviews.csv:row {n + 2}", "label": a} for n, (_, a) in enumerate(texts)]
    (root / "train.meta.jsonl").write_text("\n".join(json.dumps(m) for m in meta) + "\n")
    val.write_text(chat("The lid cracked after two days", "negative") + "\n")  # D004
    (root / "validation.meta.jsonl").write_text(
        json.dumps({"source": "holdout.xlsx:Sheet1:row 4", "label": "negative"}) + "\n"
    )
    return train, val


def visible_rows(b: Browser) -> list[dict[str, str]]:
    return b.js(  # type: ignore[no-any-return]
        "Array.from(document.querySelectorAll('tr[data-i]')).filter(function(tr){"
        "return !tr.hidden && !tr.closest('section').hidden}).map(function(tr){"
        "return {code: tr.querySelector('a code').textContent, text: tr.textContent,"
        "group: tr.closest('section').id}})"
    )


def download(b: Browser, folder: Path) -> str:
    folder.mkdir()
    b.allow_downloads(folder)
    b.click("#wl-download")
    b.wait_download()
    (csv,) = folder.iterdir()
    return csv.read_bytes().decode("utf-8")


def csv_rows(text: str) -> list[str]:
    return text.split("\r\n")[1:-1]


@needs_browser
def test_worklist_filters_search_sort_and_download(tmp_path: Path) -> None:
    train, val = write_labelled(tmp_path)
    settings = Settings(model="nova-lite", models={"nova-lite": {"min_records": 100}})
    result = check_files([str(train)], settings, validation=[str(val)])
    codes = [f.code for f in result.findings]
    assert {"D001", "D002", "D004", "H002", "H003", "N001", "B002"} <= set(codes), codes
    page = tmp_path / "report.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    expected = render(result, "worklist-csv")
    assert BROWSER is not None
    with Browser(BROWSER, tmp_path / "cdp-profile") as b:
        b.open(page.as_uri(), DESKTOP, 900)
        assert b.js("document.getElementById('worklist-tools').hidden") is False
        rows = visible_rows(b)
        assert len(rows) == len(result.findings)
        # Dataset findings are their own group, first; then each file.
        groups = b.js(
            "Array.from(document.querySelectorAll('section.file-group h3')).map(function(h){"
            "return h.textContent})"
        )
        assert groups[0].startswith("Dataset") and str(train) in groups[1]
        assert str(val) in groups[2]
        dataset_codes = {r["code"] for r in rows if r["group"] == "group-0"}
        assert {"N001", "B002"} <= dataset_codes and "D001" not in dataset_codes

        # The whole worklist downloads as the CLI's worklist-csv, byte for byte.
        assert download(b, tmp_path / "all") == expected

        # Filter by code: only D001 rows stay, and the download holds just those.
        b.click("#wl-code")
        b.choose("#wl-code", "D001")
        rows = visible_rows(b)
        assert [r["code"] for r in rows] == ["D001"]
        assert (
            "reviews.csv:row 4" in rows[0]["text"] and "also: reviews.csv:row 2" in rows[0]["text"]
        )
        d001 = [line for line in csv_rows(expected) if ",D001," in line]
        assert csv_rows(download(b, tmp_path / "d001")) == d001

        # Search by typing: the leak's training record is found by its source row.
        b.choose("#wl-code", "")
        b.click("#wl-search")
        b.type("holdout.xlsx")
        rows = visible_rows(b)
        assert [r["code"] for r in rows] == ["D004"]
        assert "also: reviews.csv:row 3" in rows[0]["text"]
        count = b.js("document.getElementById('wl-count').textContent")
        assert count.startswith("1 row shown; 1 of ")
        b.js("(function(e){e.value='';e.dispatchEvent(new Event('input'))})"
             "(document.getElementById('wl-search'))")  # fmt: skip

        # Filter by severity, by file and by label.
        b.choose("#wl-severity", "error")
        errors = {f.code for f in result.findings if f.severity.value == "error"}
        assert {r["code"] for r in visible_rows(b)} == errors
        b.choose("#wl-severity", "")
        b.choose("#wl-file", str(val))
        assert {r["group"] for r in visible_rows(b)} == {"group-2"}
        b.choose("#wl-file", "")
        b.choose("#wl-label", "neutral")
        assert {r["code"] for r in visible_rows(b)} >= {"H002", "H003"}
        b.choose("#wl-label", "")

        # Sort by severity: within each table, errors come first.
        b.choose("#wl-sort", "severity")
        train_rows = [r for r in visible_rows(b) if r["group"] == "group-1"]
        assert "error" in train_rows[0]["text"]
        assert len(csv_rows(download(b, tmp_path / "sorted"))) == len(result.findings)

        # The conversation is shown, with the image by name, not raw JSON.
        texts = b.js("document.querySelector('#group-1 table').textContent")
        assert "toaster-front.png" in texts and "schemaVersion" not in texts

        # Screenshots at desktop and phone width; no horizontal scroll on a phone.
        shots = [tmp_path / "report-desktop.png", tmp_path / "report-phone.png"]
        b.open(page.as_uri(), DESKTOP, 900)
        desktop = b.screenshot(shots[0])
        b.open(page.as_uri(), PHONE, 844)
        width = b.js("document.documentElement.scrollWidth")
        assert width <= PHONE, width
        assert b.js("document.body.scrollWidth") <= PHONE
        phone = b.screenshot(shots[1])
    assert struct.unpack(">II", desktop[16:24])[0] == DESKTOP
    assert struct.unpack(">II", phone[16:24])[0] == PHONE
    target = os.environ.get("FINEPREP_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, Path(target) / shot.name)
