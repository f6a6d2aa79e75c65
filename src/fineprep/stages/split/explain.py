"""The notes a split adds to its report and ``split.json``: where it departs from the ratios.

A split that quietly gives validation fewer records than asked (a model's cap, rare classes, a
dataset too small to leave train anything) would be taken for a wrong one, so each departure
is said in words, with the numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fineprep.stages.split.assign import TEST, VALIDATION, Assignment, Plan, Unit
from fineprep.stages.split.options import SplitOptions

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile


def explain(
    done: Assignment,
    plan: Plan,
    profile: ModelProfile | None,
    rare: dict[str, int],
    min_count: int,
    opts: SplitOptions,
    notes: list[str],
) -> None:
    """Add to ``notes`` every way the split differs from the ratios asked for: a capped
    validation, rare classes kept in train, records kept so train is not empty, downsampling.
    Nothing a split decides on its own goes unreported."""
    if done.uncapped_validation is not None and profile is not None:
        extra = done.uncapped_validation - (plan.validation_cap or 0)
        notes.append(
            f"validation capped at {plan.validation_cap:,} records, {profile.name}'s maximum "
            f"({done.uncapped_validation:,} requested): {extra:,} more stay in train"
        )
    if rare:
        listed = ", ".join(f"{label!r} ({n})" for label, n in list(rare.items())[:10])
        more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
        notes.append(
            f"kept in train, too rare to split (fewer than {min_count} records, B002): "
            f"{listed}{more}"
        )
    if done.reserved:
        gave = " and ".join(
            f"{n:,} record{'s' if n != 1 else ''} meant for {name}"
            for name in (VALIDATION, TEST)
            if (n := done.reserved.get(name, 0))
        )
        asked = f"validation {float(plan.validation):g}"
        asked += f" and test {float(plan.test):g}" if plan.test else ""
        notes.append(f"{asked} would leave train empty: train keeps {gave}")
    for stratum, n in sorted(done.dropped.items(), key=lambda kv: str(kv[0])):
        notes.append(f"{opts.shown('max-per-class')}: dropped {n:,} records of class {stratum!r}")


def shortfalls(
    done: Assignment, units: list[Unit], counts: dict[str, int], notes: list[str]
) -> None:
    """Add a note for each split whose record count (``counts``) misses its quota
    (``done.requested``) by more than 5% and more than one record. Groups and records kept
    together move whole, so a few large ones can leave validation or test short, or long, of
    what the ratio asks; that is the price of a leak-free split, and it is said, never silent."""
    largest = max((unit.size for unit in units), default=0)
    for name in (VALIDATION, TEST):
        asked, got = done.requested.get(name, 0), counts.get(name, 0)
        if asked and (not got or abs(got - asked) > max(1, asked // 20)):
            notes.append(
                f"{name} has {got:,} records of the {asked:,} its ratio asks: groups and "
                f"records kept together move whole (the largest holds {largest:,} records)"
            )
