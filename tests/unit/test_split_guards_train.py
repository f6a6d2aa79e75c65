"""A split always leaves records to train on, and the output check always judges train."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.core.config import settings_from_table
from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.split.assign import TEST, TRAIN, VALIDATION, Plan, Unit, assign
from fineprep.stages.split.runner import split
from fineprep.stages.split.verify import check_outputs


def conversation(i: int) -> dict[str, object]:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": [{"text": f"Question {i}: what is item {i * 7919}?"}]},
            {"role": "assistant", "content": [{"text": f"Answer {i}: item {i * 104729}."}]},
        ],
    }


def write_nova(
    path: Path, n: int, labels: list[str] | None = None, groups: int | None = None
) -> Path:
    """``n`` Nova records and a sidecar with an id, and optionally a label and a group."""
    side = []
    for i in range(n):
        meta: dict[str, object] = {"id": f"r{i}"}
        if labels:
            meta["label"] = labels[i % len(labels)]
        if groups:
            meta["group"] = f"g{i % groups}"
        side.append(json.dumps(meta))
    path.write_text("".join(json.dumps(conversation(i)) + "\n" for i in range(n)))
    path.with_name(path.name[: -len(".jsonl")] + ".meta.jsonl").write_text(
        "".join(line + "\n" for line in side)
    )
    return path


def lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


@pytest.mark.parametrize(
    ("n", "validation", "test", "labels"),
    [(50, 0.5, 0.4999, None), (2, 0.5, 0.3, ["pos", "neg"]), (1, 0.5, 0.0, None)],
)
def test_rounding_never_empties_train(
    tmp_path: Path, n: int, validation: float, test: float, labels: list[str] | None
) -> None:
    data = write_nova(tmp_path / "data.jsonl", n, labels)
    out = tmp_path / "out"
    result = split(data, out, validation=validation, test=test, settings=settings_from_table({}))
    assert result.counts[TRAIN] >= 1
    assert lines(out / "train.jsonl") == result.counts[TRAIN]
    assert sum(result.counts[s] for s in (TRAIN, VALIDATION, TEST)) == n
    assert any("train" in note and "empty" in note for note in result.notes)
    summary = json.loads((out / "split.json").read_text())
    assert summary["counts"][TRAIN] == result.counts[TRAIN]


def test_a_small_train_is_judged_against_the_model_minimum(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 2, ["pos", "neg"])
    result = split(
        data,
        tmp_path / "out",
        validation=0.5,
        test=0.3,
        model="nova-lite",
        settings=settings_from_table({}),
    )
    assert result.check is not None
    assert "N001" in {f.code for f in result.check.findings}
    assert result.exit_code == 1


def test_the_output_check_refuses_a_split_without_train(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "validation.jsonl", 3)
    with pytest.raises(InputError, match="no training"):
        check_outputs({VALIDATION: data}, settings_from_table({"model": "nova-lite"}), None)


def test_the_output_check_judges_an_empty_train(tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    train.write_bytes(b"")
    found = check_outputs({TRAIN: train}, settings_from_table({"model": "nova-lite"}), None)
    assert "N001" in {f.code for f in found.findings}


def test_one_group_holding_everything_stays_in_train() -> None:
    # A group overshooting the quota could otherwise be taken whole by validation.
    units = [Unit(b"group\x00all", 20)]
    result = assign(units, Plan(validation=Fraction(6, 10)))
    assert result.split == [TRAIN]
    assert result.reserved[VALIDATION] == 20


def test_groups_give_back_the_smallest_unit() -> None:
    # Whichever order the seed gives, train keeps one unit, and the one kept is the small one.
    units = [Unit(b"big", 9), Unit(b"small", 1)]
    for seed in range(16):
        result = assign(units, Plan(validation=Fraction(9, 10), seed=seed))
        assert result.split == [VALIDATION, TRAIN], seed


unit_lists = st.lists(
    st.builds(
        Unit,
        key=st.binary(min_size=1, max_size=6),
        size=st.integers(1, 6),
        stratum=st.sampled_from([None, "a", "b"]),
        labels=st.just(()),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda u: u.key,
)


@given(
    unit_lists,
    st.fractions(0, Fraction(99, 100), max_denominator=100),
    st.fractions(0, Fraction(99, 100), max_denominator=100),
    st.integers(0, 1000),
)
@settings(max_examples=200, deadline=None)
def test_train_is_never_empty(units: list[Unit], val: Fraction, test: Fraction, seed: int) -> None:
    test = min(test, Fraction(99, 100) - val)
    result = assign(units, Plan(validation=val, test=max(test, Fraction(0)), seed=seed))
    assert TRAIN in result.split
    assert len(result.split) == len(units)


def test_exact_ratios_that_add_up_to_one_are_refused(tmp_path: Path) -> None:
    data = write_nova(tmp_path / "data.jsonl", 10)
    with pytest.raises(ConfigError, match="nothing for train"):
        split(data, tmp_path / "out", validation=0.7, test=0.3, settings=settings_from_table({}))
