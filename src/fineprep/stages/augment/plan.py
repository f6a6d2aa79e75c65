"""How many records each class, and the dataset, should have after augmenting (no I/O).

- ``--per-class N``: every class below N records is raised to N.
- ``--target N``: the dataset is raised to N records, the smallest classes first.
- ``--to-min``: every class below B002's ``min-count`` is raised to it, and the dataset to the
  model's minimum *for the training file a split will leave*: a split that holds out 10% for
  validation turns 32 records into 29 training records, so Claude 3 Haiku's 32 needs 37
  (one record of margin: a split moves whole units, which can take one more than its share).

Counts include variants already in the dataset, so augmenting twice with the same goal adds
nothing the second time. A goal above the model's maximum is capped at it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from fineprep.core.profiles import ModelProfile


@dataclass
class Goal:
    """Records wanted per class (labelled data) and in all; and why, in words."""

    per_class: dict[str, int] = field(default_factory=dict)
    total: int | None = None
    why: list[str] = field(default_factory=list)


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def held_out(n: int, validation: float, test: float, cap: int | None) -> int:
    """Records a split of ``n`` records takes out of training (as ``fineprep split`` counts)."""
    val = _round_half_up(Fraction(repr(validation)) * n)
    if cap is not None:
        val = min(val, cap)
    return val + _round_half_up(Fraction(repr(test)) * n)


def records_for_training(minimum: int, validation: float, test: float, cap: int | None) -> int:
    """The fewest records whose split leaves ``minimum`` training records (plus one)."""
    if not validation and not test:
        return minimum
    n = minimum
    while n - held_out(n, validation, test, cap) < minimum + 1:
        n += 1
    return n


def plan(
    counts: dict[str, int],
    records: int,
    *,
    to_min: bool,
    per_class: int | None,
    target: int | None,
    min_count: int,
    profile: ModelProfile | None,
    minimum: int | None,
    validation: float,
    test: float,
) -> Goal:
    """The goal for a dataset of ``records`` whose classes have ``counts`` (empty: unlabelled)."""
    goal = Goal()
    for label, n in counts.items():
        want = max(per_class or 0, min_count if to_min else 0)
        if n < want:
            goal.per_class[label] = want
    if goal.per_class:
        source = f"--per-class {per_class}"
        if to_min and (not per_class or per_class < min_count):
            source = f"B002's minimum of {min_count} records per class"
        n = len(goal.per_class)
        goal.why.append(f"{n:,} class{'' if n == 1 else 'es'} below {source}")
    total = target
    if target:
        goal.why.append(f"--target {target:,} records")
    if to_min and minimum:
        cap = profile.max_validation_records if profile else None
        needed = records_for_training(minimum, validation, test, cap)
        if total is None or needed > total:
            total = needed
        name = profile.name if profile else "the model"
        held = ""
        if needed > minimum:
            held = f": {needed:,} records, so that a split holding out {validation + test:.0%}"
            held += " leaves enough"
        goal.why.append(f"{name} needs {minimum:,} training records{held}")
    limit = profile.max_records if profile else None
    if total is not None and limit is not None and total > limit:
        goal.why.append(f"capped at {profile.name if profile else ''}'s maximum of {limit:,}")
        total = limit
    goal.total = total if total is not None and total > records else None
    return goal
