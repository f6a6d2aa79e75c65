"""Class balance checks B001-B004: counts per split in ``data``, roles, label detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fineprep.core.config import settings_from_table
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.state import CheckResult


def write(path: Path, answers: list[str]) -> str:
    lines = [
        json.dumps({"prompt": f"q{i} {path.stem}", "completion": a}) for i, a in enumerate(answers)
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(
    tmp_path: Path,
    train: list[str],
    *,
    validation: list[str] | None = None,
    test: list[str] | None = None,
    **cfg: Any,
) -> CheckResult:
    settings = settings_from_table({"select": ["B"], **cfg})
    return check_files(
        [write(tmp_path / "train.jsonl", train)],
        settings,
        validation=[write(tmp_path / "dev.jsonl", validation)] if validation else [],
        test=[write(tmp_path / "holdout.jsonl", test)] if test else [],
    )


def test_counts_per_split_are_in_data(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ["yes"] * 40 + ["no"] * 3,
        validation=["yes"] * 4 + ["no"],
        test=["yes"] * 4,
        checks={"B002": {"min-count": 3}},
    )
    b001 = next(f for f in result.findings if f.code == "B001")
    assert b001.data["counts"] == {
        "train": {"no": 3, "yes": 40},
        "validation": {"no": 1, "yes": 4},
        "test": {"yes": 4},
    }
    assert b001.data["largest"] == {"label": "yes", "records": 40}
    assert b001.data["ratio"] == round(40 / 3, 3)
    b003 = [f for f in result.findings if f.code == "B003"]
    assert [(f.location.path.endswith("holdout.jsonl"), f.data["label"]) for f in b003] == [
        (True, "no")
    ]


def test_balanced_data_has_no_findings(tmp_path: Path) -> None:
    result = run(tmp_path, ["a", "b", "c"] * 10, validation=["a", "b", "c"])
    assert result.findings == []


def test_declared_labels_make_any_answers_classes(tmp_path: Path) -> None:
    answers = [f"class-{i}" for i in range(60)] * 2
    assert run(tmp_path, answers).findings == []  # 60 distinct answers: not taken as classes
    declared = run(tmp_path, answers, labels=[f"class-{i}" for i in range(60)])
    assert {f.code for f in declared.findings} == {"B002"}


def test_long_answers_are_not_classes(tmp_path: Path) -> None:
    long = "x" * 150
    assert run(tmp_path, [long] * 10 + ["short"] * 10).findings == []


def test_single_class_is_reported_once(tmp_path: Path) -> None:
    result = run(tmp_path, ["spam"] * 12, validation=["spam"] * 3)
    assert [(f.code, f.data["label"]) for f in result.findings] == [("B004", "spam")]
