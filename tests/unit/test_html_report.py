"""The HTML report: summary numbers, capped tables, charts, escaping, size with 100k findings."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError
from fineprep.core.model import Finding, Location, Severity
from fineprep.core.profiles import get_profile
from fineprep.report import REPORTERS, render
from fineprep.report.html import render_html
from fineprep.report.html_worklist import script
from fineprep.stages.check.state import CheckResult, FileState

VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "source", "wbr"}
#: Every element the report may contain; anything else means data became markup.
ALLOWED = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
    "nav", "ol", "li", "a", "main", "section", "dl", "div", "dt", "dd", "table", "caption",
    "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "span", "figure",
    "figcaption", "footer", "svg", "defs", "pattern", "rect", "line", "circle", "g", "text",
    "desc", "h4", "label", "input", "select", "option", "button", "script",
}  # fmt: skip
HOSTILE = [
    "<script>document.title='pwned';window.__pwned=1</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "</textarea><b>bold</b>",
    '"><svg onload=alert(1)>',
]


class Doc(HTMLParser):
    """A small DOM summary: every element with its attributes, and the text of each id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}
        self.stack: list[tuple[str, str | None]] = []
        self.open: dict[str, list[str]] = {}
        self.chunks: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in VOID:
            return
        ident = a.get("id")
        self.stack.append((tag, ident))
        if ident:
            self.open[ident] = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            t, ident = self.stack.pop()
            if ident:
                self.texts[ident] = "".join(self.open.pop(ident))
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        for chunks in self.open.values():
            chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def with_class(self, tag: str, cls: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and cls in (a.get("class") or "").split()]


def assert_inert(doc: Doc) -> None:
    """No element outside the template's vocabulary, no event handler, no external resource."""
    tags = {t for t, _ in doc.elements}
    assert tags <= ALLOWED, tags - ALLOWED
    for tag, attrs in doc.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"src", "srcdoc", "action", "formaction"}, (tag, name)
            if name == "href":
                assert (value or "").startswith("#"), value


_DATA = re.compile(r'<script type="application/json" id="worklist-data">([^<]*)</script>')


def without_own_scripts(html: str) -> str:
    """The page less its two own scripts: the worklist data (JSON, with no ``<`` in it) and
    the inline script the CSP allows by its hash. Anything else script-like is injected."""
    own = f"<script>{script()[0]}</script>"
    assert html.count(own) == 1 and len(_DATA.findall(html)) == 1
    return _DATA.sub("", html.replace(own, ""))


def finding(
    code: str,
    line: int | None,
    path: str = "train.jsonl",
    severity: Severity = Severity.ERROR,
    message: str = "problem",
    json_path: str | None = None,
    source: str | None = None,
    data: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        code, code.lower(), severity, message, Location(path, line, json_path, source), data or {}
    )


def result_of(
    findings: list[Finding],
    *,
    stats: dict[str, Any] | None = None,
    files: list[FileState] | None = None,
    settings: Settings | None = None,
    model: str | None = "cohere-command",
) -> CheckResult:
    settings = settings or Settings(model=model)
    files = files or [FileState("train.jsonl", "train", "prompt-completion", records=40, bytes=9)]
    findings = sorted(findings, key=Finding.sort_key)
    return CheckResult(
        findings, files, get_profile(model) if model else None, settings, stats or {}
    )


def token_stats(path: str = "train.jsonl", **extra: Any) -> dict[str, Any]:
    summary = {
        "records": 40, "tokenized": 40, "exact": True, "mean": 1700.0, "p50": 1600,
        "p90": 3000, "p95": 3600, "p99": 4400, "max": 4800, "epochs": 2, "total": 68_000,
        "interval": [68_000, 68_000], "training_tokens": 136_000, "encoding": "cl100k_base",
    }  # fmt: skip
    summary.update(extra)
    return {"tokens": {path: summary}, "encoding": "cl100k_base", "tokenized_records": 40}


HIST = {"edges": [0, 1000, 2000, 3000, 4000, 5000], "counts": [5, 15, 10, 6, 4]}


def test_registered_and_rendered_through_the_registry() -> None:
    assert "html" in REPORTERS
    out = render(result_of([finding("S001", 3)]), "html")
    assert out.startswith("<!DOCTYPE html>")
    assert Doc(out).texts["count-errors"] == "1"


def test_summary_numbers_and_verdict() -> None:
    findings = [
        *(finding("S001", n) for n in range(1, 4)),
        finding("D001", 7, severity=Severity.WARNING),
        finding("T005", None, severity=Severity.INFO),
    ]
    doc = Doc(render_html(result_of(findings, stats=token_stats())))
    t = doc.texts
    assert (t["count-files"], t["count-records"]) == ("1", "40")
    assert (t["count-errors"], t["count-warnings"], t["count-infos"]) == ("3", "1", "1")
    assert (t["count-tokens"], t["count-training-tokens"]) == ("68,000", "136,000")
    assert t["verdict"].startswith("Failed: 3 errors")
    assert "Cohere Command" in doc.text
    assert "Per-record limit: 4,096 tokens" in doc.text


def test_verdict_passes_with_warnings_only_and_follows_fail_on() -> None:
    warn = [finding("D001", 2, severity=Severity.WARNING)]
    doc = Doc(render_html(result_of(warn)))
    assert doc.texts["verdict"] == "Passed: no errors; 1 warning to review."
    strict = Settings(model="cohere-command", fail_on=Severity.WARNING)
    doc = Doc(render_html(result_of(warn, settings=strict)))
    assert doc.texts["verdict"].startswith("Failed: findings at or above the fail-on policy")


def test_without_token_stats_says_how_to_get_them() -> None:
    doc = Doc(render_html(result_of([])))
    assert "count-tokens" not in doc.texts
    assert "--stats" in doc.text
    assert not doc.find("svg")  # no findings, no statistics: nothing to chart
    assert "No findings." in doc.text


def test_tables_are_capped_with_counts_of_the_rest() -> None:
    findings = [finding("S001", n) for n in range(1, 301)]
    findings += [finding("S001", n, path="validation.jsonl") for n in range(1, 151)]
    findings += [finding("H003", n) for n in range(1, 4)]
    files = [
        FileState("train.jsonl", "train", "prompt-completion", records=10_000, bytes=9),
        FileState("validation.jsonl", "validation", "prompt-completion", records=10_000),
    ]
    html = render_html(result_of(findings, files=files), max_rows=200)
    doc = Doc(html)
    assert "450 findings" in doc.texts["code-S001"]
    train = " ".join(doc.texts["group-0"].split())
    assert "303 findings" in train
    assert "and 100 more S001 findings not listed here" in train
    assert "more" not in " ".join(doc.texts["group-1"].split()).split("Record")[-1]
    assert _rows_per_group(html) == {"group-0": {"S001": 200, "H003": 3}, "group-1": {"S001": 150}}


_ROW = re.compile(r'<tr data-i="\d+">.*?href="#code-([^"]+)"')


def _rows_per_group(html: str) -> dict[str, dict[str, int]]:
    """Body rows of each file group's table, per code."""
    out: dict[str, dict[str, int]] = {}
    for part in html.split('<section class="file-group" id="')[1:]:
        name = part.split('"', 1)[0]
        body = part.split("</table>", 1)[0]
        out[name] = dict(Counter(_ROW.findall(body)))
    return out


def test_report_config_sets_rows_and_rejects_bad_values(tmp_path: Path) -> None:
    findings = [finding("S001", n) for n in range(1, 20)]
    config = tmp_path / "fineprep.toml"
    config.write_text('model = "cohere-command"\n[report]\nmax-rows = 5\ntitle = "Deeds"\n')
    settings = load_settings(config)
    html = render_html(result_of(findings, settings=settings))
    assert _rows_per_group(html) == {"group-0": {"S001": 5}}
    assert "<title>Deeds</title>" in html
    for bad in ({"max-rows": 0}, {"max-rows": "5"}, {"excerpts": "yes"}):
        settings = Settings(model="cohere-command", sections={"report": bad})
        with pytest.raises(ConfigError, match=r"\[report\]"):
            render_html(result_of(findings, settings=settings))


def test_charts_present_when_their_data_is() -> None:
    stats = token_stats(histogram=HIST)
    stats["balance"] = {"classes": {"yes": {"train": 30, "validation": 5}, "no": {"train": 9}}}
    doc = Doc(render_html(result_of([finding("S001", 1)], stats=stats)))
    ids = {a.get("id") for a in doc.find("svg")}
    assert ids == {"chart-tokens-0", "chart-balance", "chart-codes"}
    assert "Class balance per split" in doc.texts["chart-balance-t"]
    assert doc.find("a", href="#code-S001")  # the findings chart links to the section

    doc = Doc(render_html(result_of([finding("S001", 1)], stats=token_stats(histogram=HIST))))
    assert {a.get("id") for a in doc.find("svg")} == {"chart-tokens-0", "chart-codes"}


def test_histogram_marks_the_model_limit() -> None:
    doc = Doc(render_html(result_of([], stats=token_stats(histogram=HIST))))
    (limit,) = doc.with_class("g", "limit")
    assert limit["data-limit"] == "4096"
    assert "limit 4,096" in doc.texts["chart-tokens-0"]
    assert "off scale" not in doc.texts["chart-tokens-0"]
    # The one bin whose lower edge is at or over 4,096 (4,000-4,999 straddles it) is marked.
    assert len(doc.with_class("rect", "over")) == 0
    hist = {"edges": [0, 2048, 4096, 6144], "counts": [30, 6, 4]}
    doc = Doc(render_html(result_of([], stats=token_stats(histogram=hist))))
    assert len(doc.with_class("rect", "over")) == 1
    assert "4 at or over it" in doc.texts["chart-tokens-0-d"]


def test_limit_far_beyond_the_data_is_marked_off_scale() -> None:
    hist = {"edges": [0, 10, 20, 30], "counts": [1, 2, 3]}
    doc = Doc(render_html(result_of([], stats=token_stats(histogram=hist), model="nova-lite")))
    (limit,) = doc.with_class("g", "limit")
    assert limit["data-limit"] == str(get_profile("nova-lite").record_token_limit())
    assert "off scale" in doc.texts["chart-tokens-0"]


def test_without_histogram_percentiles_are_drawn_with_the_limit() -> None:
    doc = Doc(render_html(result_of([], stats=token_stats())))
    assert doc.texts["chart-tokens-0-t"] == "Token length percentiles: train.jsonl"
    assert "max 4,800 tokens" in doc.texts["chart-tokens-0-d"]
    assert doc.with_class("g", "limit")[0]["data-limit"] == "4096"


def test_malformed_histogram_falls_back_to_percentiles() -> None:
    for bad in ({"edges": [0, 5], "counts": [1, 2]}, {"edges": [5, 0], "counts": [1]}, "x"):
        doc = Doc(render_html(result_of([], stats=token_stats(histogram=bad))))
        assert doc.texts["chart-tokens-0-t"].startswith("Token length percentiles")


def test_rule_help_and_locations_are_shown(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "hi {{name}}", "completion": "ok"}\n', encoding="utf-8")
    f = finding(
        "H003", 1, str(data), json_path="$.prompt", source="deeds.csv:row 17",
        data={"position": 3},
    )  # fmt: skip
    html = render_html(result_of([f], files=[FileState(str(data), records=1)]))
    doc = Doc(html)
    section = doc.texts["code-H003"]
    assert "How to fix" in section and "Why it matters" in section
    row = doc.texts["group-0"]
    assert str(data) in row and "$.prompt" in row and "deeds.csv:row 17" in row
    assert "hi {{name}}" in row  # the record, as the conversation: prompt and completion
    assert len(doc.with_class("p", "hit")) == 1  # the part the JSON path points into
    assert '<p class="turn hit"><span class="role">prompt</span> hi {{name}}</p>' in html


def test_excerpts_can_be_switched_off_and_missing_files_are_skipped(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "secret plans", "completion": "ok"}\n', encoding="utf-8")
    findings = [finding("S001", 1, str(data)), finding("S001", 1, "<stdin>")]
    assert "secret plans" in render_html(result_of(findings))
    html = render_html(result_of(findings), excerpts=False)
    assert "secret plans" not in html and '<pre class="excerpt"' not in html


def test_extra_sections_for_a_pipeline_run() -> None:
    sections = {
        "Split": {"train": {"records": 900, "yes": 450}, "validation": {"records": 100}},
        "Upload": {"bucket": "s3://b/p/", "files": ["train.jsonl", "validation.jsonl"]},
        "Job": [{"name": "job-1", "epochs": 2}],
        "Note": "Launched with --dry-run.",
    }
    doc = Doc(render_html(result_of([]), sections=sections))
    split = doc.texts["section-0-split"]
    assert "records" in split and "900" in split and "450" in split and "—" in split
    assert "train.jsonl, validation.jsonl" in doc.texts["section-1-upload"]
    assert "job-1" in doc.texts["section-2-job"]
    assert "Launched with --dry-run." in doc.texts["section-3-note"]
    assert doc.find("a", href="#section-0-split")


def test_self_contained_and_inert() -> None:
    stats = token_stats(histogram=HIST)
    stats["balance"] = {"classes": {"a": {"train": 1}}}
    html = render_html(result_of([finding("S001", 1)], stats=stats))
    doc = Doc(html)
    assert_inert(doc)
    csp = doc.find("meta", http_equiv="Content-Security-Policy")
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    # One inline script, allowed by its hash (no 'unsafe-inline' for scripts), and its data.
    text, source = script()
    digest = base64.b64encode(hashlib.sha256(str(text).encode()).digest()).decode()
    assert source == f"'sha256-{digest}'" and f"script-src {source};" in (csp[0]["content"] or "")
    assert [a for t, a in doc.elements if t == "script"] == [
        {"type": "application/json", "id": "worklist-data"},
        {},
    ]
    assert "<" not in _DATA.findall(html)[0]
    assert len(str(text)) < 6000  # small
    assert "@import" not in html and "<link" not in html
    for part in html.split("url(")[1:]:
        assert part.startswith("#"), part[:40]


def test_hostile_strings_render_as_text(tmp_path: Path) -> None:
    name = tmp_path / "<img src=x onerror=alert(1)>.jsonl"
    name.write_text(
        '{"prompt": "' + HOSTILE[0] + " " + HOSTILE[2] + '", "completion": "x"}\n', "utf-8"
    )
    findings = [
        finding("S001", 1, str(name), message=h, json_path="$.prompt", source=h) for h in HOSTILE
    ]
    findings.append(finding("<script>x</script>", 1, str(name), message="unknown code"))
    stats = token_stats(str(name), histogram=HIST)
    stats["balance"] = {"classes": {h: {"train": 3, h: 1} for h in HOSTILE}}
    files = [FileState(str(name), "train", HOSTILE[1], records=1, bytes=9)]
    html = render_html(
        result_of(findings, stats=stats, files=files),
        title=HOSTILE[0],
        sections={h: {h: h} for h in HOSTILE} | {"list": [{HOSTILE[3]: HOSTILE[1]}]},
        generated=HOSTILE[2],
    )
    doc = Doc(html)
    assert_inert(doc)
    lowered = without_own_scripts(html).lower()
    assert "<script" not in lowered and "<img" not in lowered and "</textarea" not in lowered
    assert "<b>" not in lowered and "<svg onload" not in lowered
    for h in HOSTILE:
        assert h in doc.text  # shown, as text
    assert f"<title>{escape(HOSTILE[0])}</title>" in html


def test_hundred_thousand_findings_stay_small(tmp_path: Path) -> None:
    data = tmp_path / "big.jsonl"
    line = '{"prompt": "' + "p" * 400 + '", "completion": "answer"}\n'
    data.write_text(line * 20_000, encoding="utf-8")
    codes = ["S001", "S004", "L003", "D001", "H002"]
    findings = [
        finding(codes[i % 5], 1 + (i // 5) % 20_000, str(data), json_path="$.prompt")
        for i in range(100_000)
    ]
    files = [FileState(str(data), "train", "prompt-completion", records=20_000, bytes=9)]
    html = render_html(result_of(findings, model="cohere-command", files=files))
    assert len(html.encode()) < 1_000_000  # 10,000 rows of data for the CSV, few shown
    # Each code is on every record: one cause each, shown as a count and three examples.
    assert _rows_per_group(html) == {"group-0": dict.fromkeys(codes, 3)}
    text = " ".join(html.split())
    assert "and 19,997 more S001 findings" in text
    assert "S001</code> on 20,000 of 20,000 records" in text
    assert "The page holds the first 10,000 of 100,000 rows" in text
    assert Doc(html).texts["count-errors"] == "100,000"


def test_a_repeated_cause_says_where_every_finding_is_when_the_page_is_capped() -> None:
    """Past ``worklist-rows`` the page's download holds only its rows: the repeated-cause
    note then points at the JSON report and ``worklist-csv``, not at the download."""
    findings = [finding("L003", n, severity=Severity.WARNING) for n in range(1, 121)]
    files = [FileState("train.jsonl", "train", "prompt-completion", records=120, bytes=9)]
    for rows, download in ((500, True), (40, False)):
        settings = Settings(model="cohere-command")
        settings.sections["report"] = {"worklist-rows": rows}
        text = " ".join(
            Doc(render_html(result_of(findings, files=files, settings=settings))).text.split()
        )
        assert ("every one is in the CSV download" in text) is download
        assert ("the download holds the page's rows" in text) is not download
