"""``--group`` and ``--stratify`` name a field the data has: a field no record carries is a
usage error (exit 2, nothing written), never a silent no-op."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fineprep.cli.main import cli
from fineprep.core.config import settings_from_table
from fineprep.core.errors import ConfigError
from fineprep.stages.split.runner import split
from tests.unit.test_split_guards_train import write_nova


def test_a_group_field_no_record_has_is_refused(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 60, groups=6)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"--group grop.*did you mean 'group'") as err:
        split(data, out, validation=0.2, group="grop", settings=settings_from_table({}))
    assert "id" in str(err.value) and "group" in str(err.value)
    assert not out.exists()


def test_a_stratify_field_no_record_has_is_refused(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 60, groups=6)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"--stratify topic"):
        split(data, out, validation=0.2, stratify="topic", settings=settings_from_table({}))
    assert not out.exists()


def test_stratify_label_without_any_label_is_refused(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 30)
    with pytest.raises(ConfigError, match=r"--stratify label: no record has a label"):
        split(data, tmp_path / "out", stratify="label", settings=settings_from_table({}))


def test_the_default_group_field_may_be_absent(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 30)
    result = split(data, tmp_path / "out", validation=0.2, settings=settings_from_table({}))
    assert result.counts["train"] == 24
    assert not any("group" in note for note in result.notes)


def test_a_field_on_some_records_is_used_and_the_rest_counted(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 40)
    side = data.with_name("data.meta.jsonl")
    metas = [json.loads(line) for line in side.read_text().splitlines()]
    for i, meta in enumerate(metas[:30]):
        meta["ticket"] = f"t{i % 3}"
        meta["topic"] = ["a", "b"][i % 2]
    side.write_text("".join(json.dumps(m) + "\n" for m in metas))
    result = split(
        data,
        tmp_path / "out",
        validation=0.25,
        group="ticket",
        stratify="topic",
        settings=settings_from_table({}),
    )
    assert any("--group ticket: 10 of 40 records" in note for note in result.notes)
    assert any("--stratify topic: 10 of 40 records" in note for note in result.notes)
    where: dict[str, set[str]] = {}
    for name in ("train", "validation"):
        path = tmp_path / "out" / f"{name}.meta.jsonl"
        for line in path.read_text().splitlines() if path.exists() else []:
            ticket = json.loads(line).get("ticket")
            if ticket is not None:
                where.setdefault(ticket, set()).add(name)
    assert where and all(len(s) == 1 for s in where.values())


def test_cli_exit_2_on_a_missing_group_field(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 60, groups=6)
    out = tmp_path / "out"
    args = ["split", str(data), "-o", str(out), "--validation", "0.2", "--group", "grop"]
    result = CliRunner().invoke(cli, [*args, "--isolated"])
    assert result.exit_code == 2, result.output
    assert "grop" in result.output and "Traceback" not in result.output
    assert not out.exists()
