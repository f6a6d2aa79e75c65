"""Deterministic, stratified, group-aware assignment of records to splits (no I/O).

The unit of assignment is a *unit*: a group (every record sharing a ``group`` value), or one
record (records with the same key, i.e. identical records or a repeated id, form one unit, so
copies never straddle splits). Each unit belongs to a *stratum*, the class it is balanced by.

Why the result is stable: within a stratum, units are ordered by a hash of their key keyed with
the seed, and validation takes the first units of that order up to its quota, test the next.
The order of existing units never changes when records are added, and each quota moves by about
the share of what was added, so adding 1% of records moves about 1% of the old ones. Quotas per
stratum come from the largest-remainder method on ``ratio × stratum size``, so every class gets
the floor or the ceiling of its exact share and the totals are exact.

Train is never left empty (nothing to tune on, and no record count for N001 to judge): when
the quotas would take every record, test gives records back first, then validation; a group
too big for what is left stays in train whole. ``Assignment.reserved`` counts what was given.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from fineprep.stages.split.keyed import keyed_hash, keyed_hasher

TRAIN, VALIDATION, TEST, DROPPED = "train", "validation", "test", "dropped"
SPLITS = (TRAIN, VALIDATION, TEST)
Stratum = str | None


class Unit(NamedTuple):
    """Records that move together: identity, size, class, and (groups) records per label.

    ``labels`` lists ``(label, records)`` for a group of mixed labels or a multi-label record;
    empty means ``size`` records of ``stratum``. A named tuple: a split makes one per record
    of a dataset without groups, and a frozen dataclass costs 4x as much to build.
    """

    key: bytes
    size: int
    stratum: Stratum = None
    labels: tuple[tuple[Stratum, int], ...] = ()

    @property
    def counts(self) -> tuple[tuple[Stratum, int], ...]:
        return self.labels or ((self.stratum, self.size),)


@dataclass(frozen=True)
class Plan:
    """What to split: ratios (exact fractions), seed, model cap, rare strata, downsampling."""

    validation: Fraction
    test: Fraction = Fraction(0)
    seed: int = 0
    validation_cap: int | None = None
    keep_in_train: frozenset[str] = frozenset()
    max_per_class: int | None = None


@dataclass
class Assignment:
    """The split of each unit (index-aligned with the input) and how quotas were met."""

    split: list[str]
    requested: dict[str, int] = field(default_factory=dict)
    uncapped_validation: int | None = None
    dropped: dict[Stratum, int] = field(default_factory=dict)
    #: Records validation and test gave back to train so that train is not empty.
    reserved: dict[str, int] = field(default_factory=dict)


def round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def apportion(
    shares: dict[Stratum, Fraction], total: int, caps: dict[Stratum, int], seed: int
) -> dict[Stratum, int]:
    """Integers close to ``shares`` summing to ``total``: floors, then the largest remainders.

    Ties between equal remainders go by a keyed hash of the stratum name, so the result does
    not depend on the order strata were seen in. No stratum gets more than its cap.
    """
    out = {s: min(math.floor(share), caps[s]) for s, share in shares.items()}
    left = total - sum(out.values())
    ranked = sorted(
        shares, key=lambda s: (-(shares[s] - math.floor(shares[s])), _stratum_hash(seed, s))
    )
    for s in ranked:
        if left <= 0:
            break
        if out[s] < min(caps[s], math.ceil(shares[s])):
            out[s] += 1
            left -= 1
    # Only when caps blocked a ceiling: the rest goes to strata with room, in the same order.
    while left > 0:
        room = [s for s in ranked if out[s] < caps[s]]
        if not room:
            break
        for s in room[:left]:
            out[s] += 1
        left -= len(room[:left])
    return out


def _stratum_hash(seed: int, stratum: Stratum) -> int:
    return keyed_hash(seed, b"\x00" if stratum is None else b"\x01" + stratum.encode(), b"stratum")


def _strata(units: Sequence[Unit]) -> dict[Stratum, list[int]]:
    by: dict[Stratum, list[int]] = {}
    for index, unit in enumerate(units):
        by.setdefault(unit.stratum, []).append(index)
    return by


def _ordered(units: Sequence[Unit], members: Iterable[int], seed: int, purpose: bytes) -> list[int]:
    """``members`` by the keyed hash of their keys, then by key (for equal hashes)."""
    import numpy as np

    hash_key = keyed_hasher(seed, purpose)
    members = list(members)
    hashes = np.array([hash_key(units[i].key) for i in members], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    ranked = hashes[order]
    if len(ranked) > 1 and bool((ranked[1:] == ranked[:-1]).any()):
        return sorted(members, key=lambda i: (hash_key(units[i].key), units[i].key))
    return [members[k] for k in order.tolist()]


#: Units of one stratum in keyed-hash order; ``simple`` when each unit is ``size`` records of
#: that stratum's label (no groups of mixed labels): then the stratum can be left as soon as
#: its label wants no more records.
Segment = tuple[Stratum, list[int], bool]


def _take(
    units: Sequence[Unit],
    order: list[Segment],
    demand: dict[Stratum, int],
    weight: dict[Stratum, float],
    limit: int | None,
    split: list[str],
    name: str,
) -> None:
    """Fill ``name`` in two walks over ``order``: units that fit, then units that help.

    ``demand`` is how many records of each label the split still wants. The first walk takes
    a unit only if no label overshoots: with one-record, one-label units that is exactly the
    first ``demand`` units of each label. The second walk takes a unit when it still lowers
    ``sum(weight * |demand|)`` (a group that overshoots but lands closer); weights are
    1 / label size, so a miss on a rare label outweighs a gain on a common one. A unit whose
    labels all have demand <= 0 can be taken by neither walk, so strata (and walks) whose
    labels want nothing more are skipped.
    """
    taken = 0
    wanted = sum(1 for d in demand.values() if d > 0)
    for fit in (True, False):
        for stratum, members, simple in order:
            if wanted == 0:
                return
            for i in members:
                if simple and demand.get(stratum, 0) <= 0:
                    break
                if split[i] != TRAIN:
                    continue
                unit = units[i]
                if limit is not None and taken + unit.size > limit:
                    continue
                counts = unit.counts
                if fit:
                    ok = all(0 < c <= demand.get(label, 0) for label, c in counts)
                else:
                    gain = 0.0
                    for label, c in counts:
                        want = demand.get(label, 0)
                        gain += weight.get(label, 1.0) * (abs(want) - abs(want - c))
                    ok = gain > 0
                if ok:
                    split[i] = name
                    taken += unit.size
                    for label, c in counts:
                        before = demand.get(label, 0)
                        demand[label] = before - c
                        wanted -= before > 0 >= before - c


def _downsample(
    units: Sequence[Unit], by: dict[Stratum, list[int]], plan: Plan, split: list[str]
) -> dict[Stratum, int]:
    dropped: dict[Stratum, int] = {}
    limit = plan.max_per_class
    if limit is None:
        return dropped
    for stratum, members in by.items():
        if stratum is None or sum(units[i].size for i in members) <= limit:
            continue
        kept = 0
        for i in _ordered(units, members, plan.seed, b"downsample"):
            size = units[i].size
            if kept + size <= limit or kept == 0:
                kept += size
            else:
                split[i] = DROPPED
                dropped[stratum] = dropped.get(stratum, 0) + size
    return dropped


def _keep_one_in_train(
    units: Sequence[Unit], split: list[str], order: list[Segment], reserved: dict[str, int]
) -> None:
    """Give one unit back to train: the smallest of test (else of validation), the last in the
    walk among equals. The quotas leave a record for train; only a group that overshoots its
    quota can take the last one."""
    walked = [i for _, members, _ in order for i in members]
    for name in (TEST, VALIDATION):
        taken = [i for i in walked if split[i] == name]
        if taken:
            back = min(reversed(taken), key=lambda i: units[i].size)
            split[back] = TRAIN
            reserved[name] += units[back].size
            return


def _targets(
    labels: Counter[Stratum], rate: Fraction, caps: dict[Stratum, int], seed: int
) -> dict[Stratum, int]:
    total = min(round_half_up(rate * sum(labels.values())), sum(caps.values()))
    return apportion({lab: rate * n for lab, n in labels.items()}, total, caps, seed)


def assign(units: Sequence[Unit], plan: Plan) -> Assignment:
    """Assign every unit to train, validation, test (or dropped, by ``max_per_class``).

    Strata are visited rarest first (what iterative stratification does for multi-label
    data), each in keyed-hash order, and the per-label quotas are apportioned exactly.
    """
    if plan.validation < 0 or plan.test < 0 or plan.validation + plan.test >= 1:
        raise ValueError("validation and test must be >= 0 and add up to less than 1")
    split = [TRAIN] * len(units)
    by = _strata(units)
    dropped = _downsample(units, by, plan, split)
    pool: dict[Stratum, list[int]] = {}
    #: Per stratum in the pool: its records, and whether every unit is records of its label.
    shape: dict[Stratum, tuple[int, bool]] = {}
    labels: Counter[Stratum] = Counter()
    kept = 0  # records of rare strata, in train already
    for stratum, members in by.items():
        live = [i for i in members if split[i] != DROPPED] if dropped else members
        if stratum is not None and stratum in plan.keep_in_train:
            kept += sum(units[i].size for i in live)
            continue
        if not live:
            continue
        pool[stratum] = live
        size, simple = 0, True
        for i in live:
            unit = units[i]
            size += unit.size
            simple = simple and not unit.labels
        shape[stratum] = (size, simple)
        if simple:  # each unit counts ((stratum, size),)
            labels[stratum] += size
            continue
        for i in live:
            for label, c in units[i].counts:
                labels[label] += c
    for label in plan.keep_in_train:
        labels.pop(label, None)
    records = sum(size for size, _ in shape.values())
    reserve = 1 if records and not kept else 0  # one record of the pool must stay in train
    val_rate = plan.validation
    val_total = round_half_up(val_rate * records)
    uncapped = None
    if plan.validation_cap is not None and val_total > plan.validation_cap:
        uncapped, val_total = val_total, plan.validation_cap
        val_rate = Fraction(val_total, records)
    reserved = {VALIDATION: max(0, val_total - (records - reserve)), TEST: 0}
    if reserved[VALIDATION]:
        val_total -= reserved[VALIDATION]
        val_rate = Fraction(val_total, records)
    test_asked = min(round_half_up(plan.test * records), records - val_total)
    test_total = min(test_asked, records - val_total - reserve)
    reserved[TEST] = test_asked - test_total
    test_rate = Fraction(test_total, records) if reserved[TEST] else plan.test
    order: list[Segment] = [
        (stratum, _ordered(units, pool[stratum], plan.seed, b"split"), shape[stratum][1])
        for stratum in sorted(pool, key=lambda s: (shape[s][0], _stratum_hash(plan.seed, s)))
    ]
    weight = {label: 1.0 / n for label, n in labels.items()}
    demand = _targets(labels, val_rate, dict(labels), plan.seed)
    wanted = dict(demand)
    _take(units, order, demand, weight, plan.validation_cap, split, VALIDATION)
    # What validation took of each label: every unit taken lowered its labels' demand.
    got: Counter[Stratum] = Counter()
    for label, left in demand.items():
        got[label] = wanted.get(label, 0) - left
    room = {lab: n - got[lab] for lab, n in labels.items()}
    demand = _targets(labels, test_rate, room, plan.seed)
    _take(units, order, demand, weight, None, split, TEST)
    if reserve and TRAIN not in split:
        _keep_one_in_train(units, split, order, reserved)
    return Assignment(
        split,
        {VALIDATION: val_total, TEST: test_total},
        uncapped,
        dropped,
        {name: n for name, n in reserved.items() if n},
    )
