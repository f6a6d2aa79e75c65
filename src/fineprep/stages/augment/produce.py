"""Spreading variants over originals: every original of a class gets its first variant before
any gets a second, in an order keyed by the seed, and none gets more than ``max-per-record``.

Class goals are met first, smallest class first; then the dataset's total, spread over every
original (those with the fewest variants first), so that no class's share of variants grows
faster than another's. A class whose originals have no variant left is reported short; nothing
is ever repeated to fill it.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

from fineprep.core.model import AUGMENT_DETAIL, AUGMENT_STRATEGY, AUGMENTED_FROM
from fineprep.formats.base import Label
from fineprep.stages.augment.guard import Guard
from fineprep.stages.augment.plan import Goal
from fineprep.stages.augment.records import Original
from fineprep.stages.augment.strategy import Candidate, Strategy

#: Rejected candidates after which an original is given up (its strategies keep proposing
#: what the guard refuses).
MAX_REJECTED = 48
#: The key of the records of an unlabelled dataset (one class).
ALL = ""


@dataclass
class Variant:
    record: dict[str, Any]
    meta: dict[str, Any]
    original: int
    strategy: str
    labels: tuple[str, ...]


def elements(label: Label) -> tuple[str, ...]:
    if label is None:
        return ()
    return label if isinstance(label, tuple) else (label,)


def seeded_order(originals: Sequence[Original], seed: int) -> list[int]:
    def key(o: Original) -> tuple[bytes, int]:
        data = f"{seed}\x00{o.id}".encode("utf-8", "surrogatepass")
        return blake2b(data, digest_size=8, person=b"augment").digest(), o.index

    return [o.index for o in sorted(originals, key=key)]


@dataclass
class Producer:
    originals: dict[int, Original]
    strategies: list[Strategy]
    guard: Guard
    max_per_record: int
    seed: int
    taken_ids: set[str]
    variants: list[Variant] = field(default_factory=list)
    made: dict[int, int] = field(default_factory=dict)
    _queues: dict[str, deque[int]] = field(default_factory=dict)
    _pending: dict[int, Iterator[Candidate]] = field(default_factory=dict)
    _done: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        by_class: dict[str, list[Original]] = {}
        for o in self.originals.values():
            for key in elements(o.label) or (ALL,):
                by_class.setdefault(key, []).append(o)
            if elements(o.label):
                by_class.setdefault(ALL, []).append(o)
        self._queues = {k: deque(seeded_order(v, self.seed)) for k, v in by_class.items()}

    def fewest_first(self) -> None:
        """Order every original by the variants it has (fewest first, then the seeded order):
        the dataset's total is then spread over all originals, whatever their class, so no
        class's share of variants grows faster than another's."""
        queue = self._queues.get(ALL)
        if queue:
            rank = {index: n for n, index in enumerate(queue)}
            self._queues[ALL] = deque(sorted(queue, key=lambda i: (self.made.get(i, 0), rank[i])))

    def one(self, key: str) -> Variant | None:
        """One more variant of an original of class ``key`` (``ALL``: any), or None."""
        queue = self._queues.get(key)
        while queue:
            index = queue.popleft()
            if index in self._done:
                continue
            if self.made.get(index, 0) >= self.max_per_record:
                self._done.add(index)  # variants from an earlier run count too
                continue
            variant = self._next(self.originals[index])
            if variant is None:
                self._done.add(index)
                continue
            if self.made[index] < self.max_per_record:
                queue.append(index)
            else:
                self._done.add(index)
            return variant
        return None

    def _next(self, original: Original) -> Variant | None:
        pending = self._pending.get(original.index)
        if pending is None:
            pending = itertools.chain.from_iterable(s.candidates(original) for s in self.strategies)
            self._pending[original.index] = pending
        for rejected, candidate in enumerate(pending):
            if self.guard.accept(original, candidate):
                return self._keep(original, candidate)
            if rejected >= MAX_REJECTED:
                break
        return None

    def _keep(self, original: Original, candidate: Candidate) -> Variant:
        n = self.made.get(original.index, 0) + 1
        self.made[original.index] = n
        vid = f"{original.id}#aug{n}"
        while vid in self.taken_ids:
            n += 1
            vid = f"{original.id}#aug{n}"
        self.taken_ids.add(vid)
        meta: dict[str, Any] = {"id": vid}
        for key in ("label", "group", "source"):
            meta[key] = original.meta.get(key)
        skip = {"id", "label", "group", "source", AUGMENTED_FROM, AUGMENT_STRATEGY, AUGMENT_DETAIL}
        meta.update((k, v) for k, v in original.meta.items() if k not in skip)
        meta[AUGMENTED_FROM] = original.id
        meta[AUGMENT_STRATEGY] = candidate.strategy
        meta[AUGMENT_DETAIL] = candidate.detail
        variant = Variant(
            candidate.record, meta, original.index, candidate.strategy, elements(original.label)
        )
        self.variants.append(variant)
        return variant


def produce(producer: Producer, goal: Goal, counts: dict[str, int], records: int) -> dict[str, int]:
    """Variants until the goal is met or no original has one left; returns what is missing
    per class (and under ``ALL`` for the dataset's total). ``counts`` is updated."""
    short: dict[str, int] = {}
    total = records

    def add(variant: Variant) -> None:
        nonlocal total
        total += 1
        for one in variant.labels:
            counts[one] = counts.get(one, 0) + 1

    for label in sorted(goal.per_class, key=lambda k: (counts.get(k, 0), k)):
        while counts.get(label, 0) < goal.per_class[label]:
            variant = producer.one(label)
            if variant is None:
                short[label] = goal.per_class[label] - counts.get(label, 0)
                break
            add(variant)
    if goal.total is not None:
        producer.fewest_first()
        while total < goal.total:
            variant = producer.one(ALL)
            if variant is None:
                short[ALL] = goal.total - total
                break
            add(variant)
    return short
