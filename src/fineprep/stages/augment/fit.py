"""Variants that pass the check: the check engine judges every variant before it is written.

A reworded record can grow past a token limit (``I want to`` -> ``I would like to`` on a
record already near the model's 16k), gain a reserved string (a template that writes
``User:``) or a caption over its limit, or read like a validation record. The guard
(:mod:`.guard`) compares variants with their originals and each other; what a variant must
pass beyond that is what ``check`` says of it, so the variants are judged in one batch by the
check engine itself: the per-record rules (an error, or T006 where an estimate says it may be
over a token limit), and D004 against the held-out files (:mod:`.heldout`). Such a variant is
left out and counted, never written for Bedrock to reject or to leak an answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fineprep.core.config import Settings
from fineprep.core.model import Severity
from fineprep.stages.augment.heldout import LEAK
from fineprep.stages.augment.plan import Goal
from fineprep.stages.augment.produce import ALL, Producer, Variant, elements, produce

#: Codes a variant may not earn whatever their severity (T006: an estimate says maybe over).
OVER = ("T001", "T002", "T003", "T006")
#: How a variant left out for them is counted among the guard's rejections.
REASON = "over the model's token limits"


def rejected_variants(
    variants: Sequence[Variant],
    settings: Settings,
    data_format: str | None,
    held_out: Sequence[str] = (),
) -> dict[int, str]:
    """Positions of ``variants`` that must not be written, with why: an error of the check's
    per-record rules (the same selection, ignores and severities as a check of the output),
    a token limit an estimate may exceed, or a leak into a held-out file."""
    if not variants:
        return {}
    from fineprep.io.inline import records_file
    from fineprep.stages.check.engine import check_files

    out: dict[int, str] = {}
    judged = dataclasses.replace(settings, scope="record", format=data_format or None)
    with records_file([v.record for v in variants]) as path:
        for f in check_files([str(path)], judged).findings:
            line = f.location.line
            if line and (f.code in OVER or f.severity is Severity.ERROR):
                out.setdefault(line - 1, REASON if f.code in OVER else f"fails {f.code}")
        if held_out:
            leaks = dataclasses.replace(settings, select=["D004"], format=data_format or None)
            result = check_files(list(held_out), leaks, validation=[str(path)])
            for f in result.findings:
                line = f.location.line
                if f.code == "D004" and line and f.location.path == str(path):
                    out.setdefault(line - 1, LEAK)
    return out


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
    held_out: Sequence[str] = (),
) -> dict[str, int]:
    """Leave out the producer's variants that do not fit the model, and make others in their
    place (another original's, or another wording) while the goal is not met; returns what the
    goal still misses. A left-out variant stays known to the guard, so it is never made again."""
    judged = 0  # producer.variants[:judged] have passed; the producer appends new ones
    for round_ in range(ROUNDS + 1):
        fresh = producer.variants[judged:]
        over = rejected_variants(fresh, settings, data_format, held_out)
        kept = [v for i, v in enumerate(fresh) if i not in over]
        producer.variants = producer.variants[:judged] + kept
        judged = len(producer.variants)
        if not over:
            return short
        rejected = producer.guard.rejected
        for reason in over.values():
            rejected[reason] = rejected.get(reason, 0) + 1
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
