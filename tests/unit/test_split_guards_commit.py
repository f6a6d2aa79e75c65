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


def test_a_split_too_small_for_the_model_is_finished_and_says_so(tmp_path: Path) -> None:
    """Findings do not withhold split.json: augment fills a small split, guided by it."""
    data = write_nova(tmp_path / "data.jsonl", 6)  # Nova takes 8 training records at least
    out = tmp_path / "out"
    result = split(data, out, validation=0.2, settings=settings_from_table({"model": "nova-lite"}))
    assert result.exit_code == 1
    assert "N001" in {f.code for f in result.check.findings}
    assert json.loads((out / "split.json").read_text())["counts"] == result.counts


def test_a_file_an_interrupted_run_wrote_is_removed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run ever is killed while checking (no split.json yet); the next, without a
    test set, still knows that test.jsonl is a split file and removes it."""
    data = write_nova(tmp_path / "data.jsonl", 40)
    out = tmp_path / "out"
    real = runner.check_outputs
    monkeypatch.setattr(runner, "check_outputs", interrupt)
    with pytest.raises(KeyboardInterrupt):
        split(data, out, validation=0.2, test=0.2, settings=settings_from_table({}))
    assert (out / "test.jsonl").exists() and not (out / "split.json").exists()
    monkeypatch.setattr(runner, "check_outputs", real)
    result = split(data, out, validation=0.2, settings=settings_from_table({}))
    assert not (out / "test.jsonl").exists() and not (out / "test.meta.jsonl").exists()
    assert any("left by an earlier split" in note for note in result.notes)
    assert sorted(p.name for p in out.iterdir()) == [
        "split.json", "train.jsonl", "train.meta.jsonl",
        "validation.jsonl", "validation.meta.jsonl",
    ]  # fmt: skip


def test_a_second_split_into_a_locked_folder_is_refused_before_it_reads(tmp_path: Path) -> None:
    from fineprep.core.errors import InputError
    from fineprep.io.outputs import OutputLock

    data = tmp_path / "data.jsonl"
    data.write_text("not json\n")  # a split that read it first would report line 1
    out = tmp_path / "out"
    with OutputLock(out / "split.json"), pytest.raises(InputError, match="another fineprep run"):
        split(data, out, settings=settings_from_table({}))
    assert not (out / "train.jsonl").exists()


def test_a_split_of_an_s3_input_into_a_locked_folder_downloads_nothing(tmp_path: Path) -> None:
    from fineprep.core.errors import InputError
    from fineprep.io.outputs import OutputLock

    out = tmp_path / "out"
    with OutputLock(out / "split.json"), pytest.raises(InputError, match="another fineprep run"):
        split("s3://no-such-bucket/data.jsonl", out, settings=settings_from_table({}))
