"""Counts in messages agree with their number: "1 record", not "1 records"."""

from __future__ import annotations

from pathlib import Path

from fineprep.core.config import settings_from_table
from fineprep.core.wording import count
from fineprep.stages.check.engine import check_files


def test_count_singular_plural_and_separators() -> None:
    assert count(1, "record") == "1 record"
    assert count(0, "record") == "0 records"
    assert count(12000, "record") == "12,000 records"
    assert count(2, "blank line") == "2 blank lines"
    assert count(3, "entry", "entries") == "3 entries"


def test_b003_names_one_record_in_the_singular(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    val = tmp_path / "val.jsonl"
    lines = [f'{{"prompt": "p{i}", "completion": "{"yes" if i % 2 else "no"}"}}' for i in range(6)]
    train.write_text("\n".join(lines) + "\n")
    val.write_text(
        '{"prompt": "v1", "completion": "maybe"}\n{"prompt": "v2", "completion": "no"}\n'
    )
    settings = settings_from_table({"checks": {"B002": {"min-count": 1}}})
    settings.format = "prompt-completion"
    settings.select = ["B003"]
    result = check_files([str(train)], settings, validation=[str(val)])
    messages = [f.message for f in result.findings if f.code == "B003"]
    assert "class 'maybe' has 1 record in validation and none in train" in messages
