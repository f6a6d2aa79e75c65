"""A split's messages name an option as the user gave it: a flag, or the config key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineprep.core.config import settings_from_table
from fineprep.core.errors import ConfigError
from fineprep.stages.split.runner import split


def _labelled(folder: Path) -> Path:
    data = [json.dumps({"prompt": f"question {i}", "completion": f"answer {i}"}) for i in range(40)]
    side = [json.dumps({"label": "a" if i % 2 else "b"}) for i in range(40)]
    (folder / "d.jsonl").write_text("\n".join(data) + "\n")
    (folder / "d.meta.jsonl").write_text("\n".join(side) + "\n")
    return folder / "d.jsonl"


def test_a_misspelt_field_from_the_config_is_named_by_its_key(tmp_path: Path) -> None:
    settings = settings_from_table({"split": {"stratify": "labl"}})
    with pytest.raises(ConfigError, match=r'^\[split\] stratify = "labl": no line of d.meta'):
        split(_labelled(tmp_path), tmp_path / "out", settings=settings)


def test_the_same_field_given_as_a_flag_is_named_by_the_flag(tmp_path: Path) -> None:
    settings = settings_from_table({"split": {"stratify": "label"}})
    with pytest.raises(ConfigError, match=r"^--group team: no line of d.meta"):
        split(_labelled(tmp_path), tmp_path / "out", group="team", settings=settings)


def test_downsampling_from_the_config_is_reported_under_its_key(tmp_path: Path) -> None:
    settings = settings_from_table({"split": {"stratify": "label", "max-per-class": 15}})
    result = split(_labelled(tmp_path), tmp_path / "out", settings=settings, run_checks=False)
    assert any(n.startswith("[split] max-per-class = 15: dropped 5 records") for n in result.notes)
