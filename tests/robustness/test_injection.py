"""Reports cannot be hijacked by the data they describe.

A file name, a record key (in the JSON path), a value and a sidecar source are written by
whoever made the data. In every reporter they must come out inert: no terminal escape, no
CR/LF that fakes a line, no bidirectional override that reorders what a reviewer reads, no
line that GitHub Actions would run as a workflow command, and (HTML) no unmasked secret in an
excerpt even when no rule named it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pytest

from fineprep.api import check
from fineprep.core.model import Finding, Location, Severity
from fineprep.report import render
from fineprep.report.escaping import line_start, visible
from fineprep.report.excerpts import _secret_like, mask
from fineprep.stages.check.state import CheckResult

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\r\n::error file=ci.yml::fake\u202etxt.exe\u2066\x85%0A"
#: Characters no report may print raw: C0 but tab/newline, DEL, C1, bidi controls.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
BIDI_OR_CR = re.compile("[\r\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _hostile_files(tmp_path: Path) -> Path:
    name = tmp_path / "::error file=x::pwned \x1b[31m\u202etxt.jsonl"
    record = {
        "prompt": f"Summarise this {HOSTILE}",
        "completion": "ok",
        f"\u202e{HOSTILE}": 1,  # an unexpected key: S001 with the key in its JSON path
    }
    name.write_text(json.dumps(record) + "\n", encoding="utf-8")
    meta = {"id": "1", "source": f"a.csv:row 1{HOSTILE}"}
    name.with_name(name.name.replace(".jsonl", ".meta.jsonl")).write_text(json.dumps(meta) + "\n")
    return name


@pytest.fixture()
def result(tmp_path: Path) -> CheckResult:
    path = _hostile_files(tmp_path)
    found = check(path, isolated=True, extend_select=["L004"])
    extra = Finding(
        "H001",
        "secret",
        Severity.ERROR,
        f"made-up finding quoting data {HOSTILE}",
        Location(str(path), 1, f"$['{HOSTILE}']", f"src{HOSTILE}"),
        {"value": HOSTILE},
    )
    found.findings.append(extra)
    assert any(HOSTILE in (f.location.json_path or "") for f in found.findings)
    assert any(f.location.source and HOSTILE in f.location.source for f in found.findings)
    return found


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_line_reporters_print_one_inert_line_per_finding(result: CheckResult, fmt: str) -> None:
    out = render(result, fmt)
    assert not RAW.search(out), repr(RAW.search(out))
    lines = out.splitlines()
    commands = [line for line in lines if line.lstrip().startswith("::")]
    if fmt == "text":
        assert not commands, commands
        assert len(lines) == len(result.findings) + 1  # plus the summary
    else:  # every line is one annotation fineprep wrote, and only that
        assert len(commands) == len(lines) == len(result.findings)
        for line in lines:
            head, _, message = line[2:].partition("::")
            assert re.fullmatch(r"(error|warning|notice) [^:\n]*", head), head
            assert "\r" not in message and "\n" not in message
    assert "\\x1b" in out and "\\u202e" in out  # shown, not obeyed


def test_sarif_and_json_stay_parseable_and_escaped(result: CheckResult) -> None:
    sarif = render(result, "sarif")
    assert not RAW.search(sarif)
    doc = orjson.loads(sarif)
    for item in doc["runs"][0]["results"]:
        assert not RAW.search(item["message"]["text"])
        for loc in item.get("locations", []):
            assert not RAW.search(loc["physicalLocation"]["artifactLocation"]["uri"])
    report = render(result, "json")
    assert "\x1b" not in report and "\r" not in report.replace("\\r", "")
    assert orjson.loads(report)["findings"]  # the exact data, JSON-escaped


def test_html_escapes_every_column(result: CheckResult, tmp_path: Path) -> None:
    html = render(result, "html")
    body = html.split("<body", 1)[1]
    assert not BIDI_OR_CR.search(body), repr(BIDI_OR_CR.search(body))
    assert "\x1b" not in body
    assert "\\u202e" in body


def test_visible_and_line_start() -> None:
    assert visible("a\x1bb\u202ec\td") == "a\\x1bb\\u202ec\\x09d"
    assert visible("a\tb\nc", multiline=True) == "a\tb\nc"
    assert visible("plain ünïcode 中文") == "plain ünïcode 中文"
    assert line_start("::error::x") == "./::error::x"
    assert line_start("  ::warning::x") == "./  ::warning::x"
    assert line_start("data/a.jsonl:3: S001") == "data/a.jsonl:3: S001"


SECRET_LIKE = [
    "Zk8fQ2mXr9TbLw3YpVc7NsE1hJ",  # a key of a kind no rule knows
    "3f786850e387550fdab836ed7e6dc881de23001b",
    "dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB2YWx1ZQ==",
    "tok_9fK2LmQ8vX3pR7sT1wY5zA6b",
]
ORDINARY = [
    "internationalization and responsibilities",
    "src/fineprep/report/excerpts.py",
    "the order ORD-12 shipped on 2024-05-01 to 221B Baker Street",
    "Supercalifragilisticexpialidocious is a word",
    "snake_case_identifier_name_v2 and camelCaseIdentifierName",
]


@pytest.mark.parametrize("token", SECRET_LIKE)
def test_excerpt_masks_unnamed_high_entropy_tokens(token: str) -> None:
    shown = mask(f"the value is {token} here")
    assert token not in shown and token[:4] in shown


@pytest.mark.parametrize("text", ORDINARY)
def test_excerpt_leaves_ordinary_text_alone(text: str) -> None:
    assert mask(text) == text


def test_excerpt_keeps_uuids() -> None:
    assert not _secret_like("123e4567-e89b-12d3-a456-426614174000")
