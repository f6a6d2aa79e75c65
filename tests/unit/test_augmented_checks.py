"""Counts with and without augmented records: N001-N003, B001-B004 and B005 read the sidecar's
``augmented_from``; verdicts are on every record, messages and ``data`` give both counts."""

from __future__ import annotations

import json
from pathlib import Path

from fineprep.api import check


def _write(tmp_path: Path, rows: list[tuple[str, str, dict[str, object]]]) -> Path:
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"prompt": p, "completion": c}) + "\n" for p, c, _ in rows))
    (tmp_path / "train.meta.jsonl").write_text("".join(json.dumps(m) + "\n" for *_, m in rows))
    return data


def _rows(label: str, originals: int, variants: int) -> list[tuple[str, str, dict[str, object]]]:
    rows: list[tuple[str, str, dict[str, object]]] = []
    for i in range(originals):
        rows.append((f"{label} question {i}", label, {"id": f"{label}{i}", "label": label}))
    for i in range(variants):
        meta = {
            "id": f"{label}0#aug{i + 1}",
            "label": label,
            "augmented_from": f"{label}0",
            "augment_strategy": "rules" if i % 2 == 0 else "template",
        }
        rows.append((f"{label} question 0, reworded {i}", label, meta))
    return rows


def test_file_counts_augmented_records_per_strategy(tmp_path: Path) -> None:
    data = _write(tmp_path, _rows("yes", 3, 3))
    result = check(data, model="nova-lite", isolated=True, select=["N001"])
    (state,) = result.files
    assert state.records == 6 and state.augmented == {"rules": 2, "template": 1}
    (n001,) = [f for f in result.findings if f.code == "N001"]
    assert "6 training records (3 original + 3 augmented)" in n001.message
    assert n001.data == {"records": 6, "minimum": 8, "original": 3, "augmented": 3}


def test_balance_findings_carry_original_and_augmented_counts(tmp_path: Path) -> None:
    rows = _rows("common", 40, 0) + _rows("rare", 1, 2)
    data = _write(tmp_path, rows)
    result = check(data, isolated=True, select=["B"], checks={"B005": {"max-share": 0.9}})
    (b002,) = [f for f in result.findings if f.code == "B002"]
    assert b002.message == "class 'rare' has 3 records (1 original + 2 augmented) (minimum 10)"
    assert b002.data["counts"] == {"train": {"common": 40, "rare": 3}}
    assert b002.data["original_counts"] == {"train": {"common": 40, "rare": 1}}
    assert b002.data["augmented_counts"] == {"train": {"rare": 2}}
    assert result.stats["balance"]["augmented"] == {"rare": {"train": 2}}
    assert result.stats["balance"]["classes"]["rare"] == {"train": 3}
    assert not [f for f in result.findings if f.code == "B005"]  # 2/3 is under 0.9


def test_b005_names_the_class_and_the_dataset(tmp_path: Path) -> None:
    data = _write(tmp_path, _rows("a", 2, 5) + _rows("b", 2, 0))
    result = check(data, isolated=True, select=["B005"])
    scopes = {(f.data["scope"], f.data.get("label")): f.data for f in result.findings}
    assert set(scopes) == {("class", "a"), ("dataset", None)}  # b has no variants
    assert scopes[("class", "a")]["share"] == round(5 / 7, 4)
    assert scopes[("dataset", None)]["strategies"] == {"rules": 3, "template": 2}
    assert scopes[("dataset", None)]["original"] == 4


def test_no_augmented_records_keeps_finding_data_as_it_was(tmp_path: Path) -> None:
    data = _write(tmp_path, _rows("common", 40, 0) + _rows("rare", 2, 0))
    result = check(data, model="nova-lite", isolated=True, select=["B002", "N001"])
    (b002,) = [f for f in result.findings if f.code == "B002"]
    assert "original_counts" not in b002.data and "augmented" not in b002.message
    assert "augmented" not in result.stats["balance"]


def test_html_report_shows_original_and_augmented_records_per_class(tmp_path: Path) -> None:
    from fineprep.report.html import render_html
    from tests.unit.test_html_report import ALLOWED, Doc

    rows = _rows("common", 12, 0) + _rows("<b>rare</b>", 2, 3)
    result = check(_write(tmp_path, rows), isolated=True, select=["B"])
    doc = Doc(render_html(result))
    assert {tag for tag, _ in doc.elements} <= ALLOWED  # the label stays text
    summary = " ".join(doc.texts["augmented-summary"].split())
    assert summary.startswith("3 of 17 records (18%) are variants made by fineprep augment")
    assert "(rules 2, template 1); 14 are original." in summary
    table = " ".join(doc.texts["augmented-classes"].split())  # cells run together
    assert "<b>rare</b>23560% over 50%" in table and "common120120%" in table


def test_html_report_without_augmented_records_has_no_such_section(tmp_path: Path) -> None:
    from fineprep.report.html import render_html

    result = check(_write(tmp_path, _rows("a", 12, 0) + _rows("b", 12, 0)), isolated=True)
    html = render_html(result)
    assert "augmented-summary" not in html and "Augmented" not in html
