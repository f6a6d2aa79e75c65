"""A split that cannot meet a ratio because units move whole says so, with the numbers."""

from __future__ import annotations

import json
from pathlib import Path

from fineprep.core.config import settings_from_table
from fineprep.stages.split.runner import split


def _grouped(folder: Path, big: int, rest: int) -> Path:
    """``big`` records in one group, then ``rest`` records in groups of their own."""
    data, side = [], []
    for i in range(big + rest):
        record = {"prompt": f"question {i} about topic {i * 7}", "completion": f"answer {i}"}
        data.append(json.dumps(record))
        side.append(json.dumps({"group": "big" if i < big else f"g{i}"}))
    (folder / "d.jsonl").write_text("\n".join(data) + "\n")
    (folder / "d.meta.jsonl").write_text("\n".join(side) + "\n")
    return folder / "d.jsonl"


def test_a_group_too_big_for_the_quota_leaves_validation_short_and_says_so(
    tmp_path: Path,
) -> None:
    data = _grouped(tmp_path, 60, 40)
    result = split(
        data, tmp_path / "out", validation=0.5, group="group", settings=settings_from_table({})
    )
    assert result.counts["validation"] == 40
    note = "validation has 40 records of the 50 its ratio asks"
    assert any(note in n and "largest holds 60" in n for n in result.notes)
    summary = json.loads((tmp_path / "out" / "split.json").read_bytes())
    assert summary["requested"] == {"validation": 50, "test": 0}
    assert any(note in n for n in summary["notes"])


def test_a_quota_met_within_five_percent_adds_no_note(tmp_path: Path) -> None:
    data = _grouped(tmp_path, 2, 98)
    result = split(
        data,
        tmp_path / "out",
        validation=0.2,
        test=0.1,
        group="group",
        settings=settings_from_table({}),
    )
    assert not any("its ratio asks" in n for n in result.notes)
    summary = json.loads((tmp_path / "out" / "split.json").read_bytes())
    assert summary["requested"] == {"validation": 20, "test": 10}
    assert abs(result.counts["validation"] - 20) <= 1
    assert abs(result.counts["test"] - 10) <= 1


def test_a_test_split_left_empty_by_one_group_says_so(tmp_path: Path) -> None:
    data = _grouped(tmp_path, 30, 0)
    (tmp_path / "d2.jsonl").write_text(data.read_text() + '{"prompt": "p", "completion": "c"}\n')
    side = (tmp_path / "d.meta.jsonl").read_text() + '{"group": "other"}\n'
    (tmp_path / "d2.meta.jsonl").write_text(side)
    result = split(
        tmp_path / "d2.jsonl",
        tmp_path / "out",
        validation=0.1,
        test=0.1,
        group="group",
        settings=settings_from_table({}),
    )
    assert result.counts["train"] == 30
    assert any("test has 0 records of the 3 its ratio asks" in n for n in result.notes)
