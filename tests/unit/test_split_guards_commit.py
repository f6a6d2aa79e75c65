"""``split.json`` marks a finished split: it is written only once the outputs are verified, so
an interrupted or failed verification never leaves a split that looks finished."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import settings_from_table
from fineprep.io.outputs import verify_set
from fineprep.stages.split import runner
from fineprep.stages.split.runner import split
from tests.unit.test_split_guards_train import write_nova


def interrupt(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


def test_interrupted_verification_writes_no_split_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_nova(tmp_path / "data.jsonl", 40)
    out = tmp_path / "out"
    monkeypatch.setattr(runner, "check_outputs", interrupt)
    with pytest.raises(KeyboardInterrupt):
        split(data, out, validation=0.2, settings=settings_from_table({}))
    assert not (out / "split.json").exists()
    assert not (out / ".split.json.lock").exists()


def test_interrupted_rerun_withdraws_the_previous_split_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_nova(tmp_path / "data.jsonl", 40)
    out = tmp_path / "out"
    split(data, out, validation=0.2, test=0.2, settings=settings_from_table({}))
    assert (out / "split.json").exists()
    monkeypatch.setattr(runner, "check_outputs", interrupt)
    with pytest.raises(KeyboardInterrupt):
        split(data, out, validation=0.3, seed=5, settings=settings_from_table({}))
    # The old manifest would vouch for files this run replaced: it is gone, not stale.
    assert not (out / "split.json").exists()
    assert not (out / "test.jsonl").exists()


def test_a_failing_verification_writes_no_split_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("check crashed")

    data = write_nova(tmp_path / "data.jsonl", 40)
    out = tmp_path / "out"
    monkeypatch.setattr(runner, "check_outputs", broken)
    with pytest.raises(RuntimeError):
        split(data, out, validation=0.2, settings=settings_from_table({}))
    assert not (out / "split.json").exists()


def test_split_json_is_written_after_verification_and_seals_the_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_nova(tmp_path / "data.jsonl", 40)
    out = tmp_path / "out"
    seen: list[bool] = []
    real = runner.check_outputs

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append((out / "split.json").exists())
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "check_outputs", spy)
    result = split(data, out, validation=0.2, settings=settings_from_table({}))
    assert seen == [False]
    summary = json.loads((out / "split.json").read_text())
    assert summary["counts"] == result.counts
    for name in ("train", "validation"):
        assert verify_set(out / f"{name}.jsonl", out / f"{name}.meta.jsonl") is None


def test_without_checks_split_json_is_written_at_once(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 40)
    out = tmp_path / "out"
    split(data, out, validation=0.2, settings=settings_from_table({}), run_checks=False)
    assert (out / "split.json").exists()
