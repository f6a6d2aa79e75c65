"""Variants that fit the model: the check's own token rules judge every variant before it is
written.

A reworded record can grow past a token limit (``I want to`` -> ``I would like to`` on a
record already near the model's 16k). The guard (:mod:`.guard`) compares variants with their
originals and each other; whether one fits takes the token verdicts of ``check`` (bounds
first, exact counts where the model's tokenizer is on this machine, estimates with their
band), so the variants are judged in one batch by the check engine itself: a variant over a
limit (T001-T003, and L001 where the character quota is documented), or one an estimate
says may be (T006), is left out and counted, never written for Bedrock to reject.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fineprep.core.config import Settings
from fineprep.core.model import Severity
from fineprep.stages.augment.plan import Goal
from fineprep.stages.augment.produce import ALL, Producer, Variant, elements, produce

#: The codes a variant may not earn (L001 only where it is an error: a documented quota).
OVER = ("T001", "T002", "T003", "T006")
JUDGED = (*OVER, "L001")
#: How a variant left out for them is counted among the guard's rejections.
REASON = "over the model's token limits"


def over_limits(
    variants: Sequence[Variant], settings: Settings, data_format: str | None
) -> set[int]:
    """Positions of ``variants`` the token rules find over (or maybe over) a limit."""
    if not variants or settings.model_profile() is None:
        return set()
    from fineprep.io.inline import records_file
    from fineprep.stages.check.engine import check_files

    judged = dataclasses.replace(settings, select=list(JUDGED), format=data_format or None)
    with records_file([v.record for v in variants]) as path:
        result = check_files([str(path)], judged)
    return {
        f.location.line - 1
        for f in result.findings
        if (f.code in OVER or f.severity is Severity.ERROR)
        and f.location.line is not None
        and f.location.line > 0
    }


#: Rounds of making more variants in place of those left out (each round checks only new ones).
ROUNDS = 3


def keep_fitting(
    producer: Producer,
    goal: Goal,
    counts: dict[str, int],
    records: int,
    settings: Settings,
    data_format: str | None,
    short: dict[str, int],
) -> dict[str, int]:
    """Leave out the producer's variants that do not fit the model, and make others in their
    place (another original's, or another wording) while the goal is not met; returns what the
    goal still misses. A left-out variant stays known to the guard, so it is never made again."""
    checked: set[int] = set()
    for round_ in range(ROUNDS + 1):
        fresh = [v for v in producer.variants if id(v) not in checked]
        checked.update(id(v) for v in fresh)
        over = over_limits(fresh, settings, data_format)
        if not over:
            return short
        gone = {id(fresh[i]) for i in over}
        producer.variants = [v for v in producer.variants if id(v) not in gone]
        rejected = producer.guard.rejected
        rejected[REASON] = rejected.get(REASON, 0) + len(gone)
        for i in over:
            for label in elements(fresh[i].labels):
                counts[label] = counts.get(label, 0) - 1
        if round_ == ROUNDS:
            break
        short = produce(producer, goal, counts, records + len(producer.variants))
    return short_after(short, [fresh[i] for i in over], goal.per_class, goal.total is not None)


def short_after(
    short: dict[str, int], dropped: Sequence[Variant], per_class: dict[str, int], total: bool
) -> dict[str, int]:
    """What the goal misses once ``dropped`` variants are left out: each counted for its
    classes of the goal, and for the dataset's total when the goal has one."""
    out = dict(short)
    for variant in dropped:
        for label in elements(variant.labels):
            if label in per_class:
                out[label] = out.get(label, 0) + 1
        if total:
            out[ALL] = out.get(ALL, 0) + 1
    return out
