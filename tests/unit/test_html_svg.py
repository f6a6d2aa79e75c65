"""The hand-written SVG charts: escaping, scales, the limit line, bar patterns."""

from __future__ import annotations

import re

import pytest

from fineprep.report import svg
from tests.unit.test_html_report import Doc, assert_inert


def test_el_escapes_text_and_attributes_but_not_its_own_markup() -> None:
    inner = svg.el("title", None, "<b>&</b>")
    out = svg.el("g", {"data-x": '"><script>', "skip": None}, inner, "</g><script>")
    assert out == (
        '<g data-x="&#34;&gt;&lt;script&gt;"><title>&lt;b&gt;&amp;&lt;/b&gt;</title>'
        "&lt;/g&gt;&lt;script&gt;</g>"
    )
    for bad in ("g onload", "<x", ""):
        with pytest.raises(ValueError):
            svg.el(bad)
    with pytest.raises(ValueError):
        svg.el("g", {"onload=alert(1) x": 1})


def test_number_formats() -> None:
    assert [svg.num(v) for v in (1234567, 2.0, 2.25)] == ["1,234,567", "2", "2.2"]
    assert [svg.short(v) for v in (0, 950, 1200, 3_000_000, 2.5e9)] == [
        "0", "950", "1.2k", "3M", "2.5G",
    ]  # fmt: skip
    assert [svg.nice_step(v) for v in (5, 4096, 4300, 0)] == [1, 1000, 1000, 1]
    assert svg.clip("abcdefgh", 5) == "abcd…" and svg.clip("abc", 5) == "abc"


def _x_of(chart: str, cls: str) -> float:
    m = re.search(r'<g class="' + cls + r'"[^>]*><line x1="([\d.]+)"', chart)
    assert m, chart
    return float(m.group(1))


def test_histogram_places_the_limit_on_the_token_axis() -> None:
    chart = svg.token_histogram(
        "h", "t.jsonl", [0, 1000, 2000, 3000], [4, 2, 1], 2000, sampled=False
    )
    # Axis 0..3000 * 1.05 = 3150 over the plot from x=56 to 720-24.
    assert _x_of(chart, "limit") == pytest.approx(56 + 640 * 2000 / 3150, abs=0.1)
    doc = Doc(chart)
    assert_inert(doc)
    assert len(doc.with_class("rect", "bar")) == 3
    assert len(doc.with_class("rect", "over")) == 1  # the 2000-2999 bin
    assert doc.texts["h-d"] == (
        "t.jsonl: 7 records between 0 and 3,000 tokens; model limit 2,000 tokens per record, "
        "1 at or over it."
    )
    assert "0-999 tokens: 4 records" in doc.text and "2,000-2,999 tokens: 1 record" in doc.text


def test_histogram_without_a_model_has_no_limit_and_sample_units() -> None:
    chart = svg.token_histogram("h", "t", [0, 5, 10], [3, 0], None, sampled=True)
    assert "limit" not in chart
    assert "records in sample" in chart


def test_far_limit_goes_to_the_edge_and_says_so() -> None:
    chart = svg.token_histogram("h", "t", [0, 50, 100], [3, 1], 32_000, sampled=False)
    assert _x_of(chart, "limit") == svg.WIDTH - 14
    assert "off scale: the longest record uses 0.31% of it" in chart


def test_percentiles_chart_labels_each_bar() -> None:
    summary = {"p50": 100, "p90": 200, "p95": 300, "p99": 350, "max": 400, "exact": True}
    doc = Doc(svg.token_percentiles("p", "t", summary, 512))
    assert doc.texts["p-d"] == (
        "t: p50 100 tokens, p90 200 tokens, p95 300 tokens, p99 350 tokens, max 400 tokens; "
        "model limit 512 tokens per record."
    )
    assert [t for t in ("100", "200", "300", "350", "400") if t in doc.text] == [
        "100", "200", "300", "350", "400",
    ]  # fmt: skip


def test_balance_bars_name_their_split_and_use_distinct_fills() -> None:
    chart = svg.class_balance(
        "b",
        [("<yes>", {"train": 8, "validation": 2}), ("no", {"train": 4})],
        ["train", "validation"],
        3,
    )
    doc = Doc(chart)
    assert_inert(doc)
    assert "<yes> · train" in doc.text and "no · validation" in doc.text
    fills = [a.get("fill") for a in doc.with_class("rect", "bar")]
    assert fills == [None, "url(#b-hatch)", None, "url(#b-hatch)"]
    assert "3 smaller classes not drawn" in doc.texts["b-d"]


def test_findings_chart_links_each_code_and_patterns_by_severity() -> None:
    rows = [("S001", "schema", "error", 10), ("D001", "duplicate", "warning", 5)]
    rows.append(("T005", "token-stats", "info", 1))
    doc = Doc(svg.findings_by_code("c", rows))
    assert [a["href"] for a in doc.find("a")] == ["#code-S001", "#code-D001", "#code-T005"]
    fills = [a.get("fill") for a in doc.with_class("rect", "bar")]
    assert fills == [None, "url(#c-hatch)", "url(#c-dots)"]
    widths = [float(a["width"] or 0) for a in doc.with_class("rect", "bar")]
    assert widths[0] > widths[1] > widths[2] > 0
