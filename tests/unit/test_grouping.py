"""Grouping of equal keys and line runs: the D001/D002 state, checked against plain dicts."""

from __future__ import annotations

import random
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.stages.check import grouping
from fineprep.stages.check.grouping import LineRuns, group_equal


def _reference(keys: array[int]) -> list[list[int]]:
    first: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, []).append(i)
    return [g for g in first.values() if len(g) > 1]


def _keys(n: int, seed: int) -> array[int]:
    rng = random.Random(seed)
    keys = array("Q", (rng.getrandbits(64) for _ in range(n)))
    for i in range(3, n, 7):  # repeats, some of them far apart (other buckets' neighbours)
        keys[i] = keys[rng.randrange(i)]
    keys[n - 1] = keys[0]
    return keys


@pytest.mark.parametrize("numpy", [True, False])
@pytest.mark.parametrize("n", [2, 50, 25_000, 1_200_000])
def test_groups_match_a_dict(monkeypatch: pytest.MonkeyPatch, numpy: bool, n: int) -> None:
    if not numpy:
        monkeypatch.setattr(grouping, "_has_numpy", lambda: False)
    keys = _keys(n, seed=n)
    assert list(group_equal(keys)) == _reference(keys)


def test_top_bits_and_edges_are_grouped() -> None:
    # Keys at the bucket edges (top byte 0x00, 0x7f/0x80, 0xff) and all-equal keys.
    edge = [0, 1, 2**63 - 1, 2**63, 2**64 - 1]
    keys = array("Q", edge * 5000 + list(range(10, 30_000)))
    assert list(group_equal(keys)) == _reference(keys)
    same = array("Q", [7] * 30_000)
    assert list(group_equal(same)) == [list(range(30_000))]
    assert list(group_equal(array("Q", range(40_000)))) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=60), st.integers(0, 59))
def test_line_runs_give_back_every_line(gaps: list[int], cut: int) -> None:
    lines, line = [], 0
    for gap in gaps:
        line += 1 if gap > 30 else gap  # mostly consecutive, some gaps
        lines.append(line)
    whole, left, right = LineRuns(), LineRuns(), LineRuns()
    for k, x in enumerate(lines):
        whole.append(x)
        (left if k < cut else right).append(x)
    left.extend(right)  # partitions absorbed in order
    assert [whole[i] for i in range(len(whole))] == lines
    assert [left[i] for i in range(len(left))] == lines
    assert list(left.starts) == list(whole.starts)
    with pytest.raises(IndexError):
        whole[len(lines)]
