"""Which class each unit is stratified by, and which classes are too rare to split.

Single-label records are stratified by their label. A multi-label record (a list label) is
stratified by its rarest label, the rarest-label-first rule of iterative stratification: the
rare labels are the ones a proportional cut would otherwise leave out of validation, and the
common ones even out across many records. A group is stratified by the label most of its
records carry (ties: the rarer label).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fineprep.core.errors import ConfigError
from fineprep.formats.base import Label
from fineprep.stages.split.assign import Stratum, Unit

if TYPE_CHECKING:
    from fineprep.stages.split.options import SplitOptions
    from fineprep.stages.split.scan import Scan


def elements(label: Label) -> tuple[str, ...]:
    """The individual labels of a record: none, one, or several (multi-label)."""
    if label is None:
        return ()
    return label if isinstance(label, tuple) else (label,)


def label_counts(labels: Sequence[Label]) -> Counter[str]:
    """Records per individual label (a multi-label record counts once for each of its labels)."""
    counts: Counter[str] = Counter()
    for label in labels:
        counts.update(set(elements(label)))
    return counts


def unit_strata(
    unit_of: Sequence[int], labels: Sequence[Label], sizes: Sequence[int], freq: Counter[str]
) -> tuple[list[Stratum], list[tuple[tuple[Stratum, int], ...]]]:
    """The stratum of every unit, and its records per label where that is not just the stratum.

    A record without a label counts under ``None``; the second list is empty per unit for
    the common case of one record with one label.
    """
    strata: list[Stratum] = [None] * len(sizes)
    counts: list[tuple[tuple[Stratum, int], ...]] = [()] * len(sizes)
    mixed: dict[int, Counter[Stratum]] = {}
    for unit, label in zip(unit_of, labels, strict=True):
        parts = elements(label)
        if sizes[unit] == 1 and len(parts) <= 1:
            strata[unit] = parts[0] if parts else None
            continue
        keys: tuple[Stratum, ...] = tuple(set(parts)) if parts else (None,)
        mixed.setdefault(unit, Counter()).update(keys)
    for unit, per_label in mixed.items():
        named = [p for p in per_label if p is not None]
        if sizes[unit] == 1:
            strata[unit] = min(named, key=lambda e: (freq[e], e))
        elif named:
            strata[unit] = min(named, key=lambda e: (-per_label[e], freq[e], e))
        counts[unit] = tuple(sorted(per_label.items(), key=lambda kv: (kv[0] is None, kv[0] or "")))
    return strata, counts


def rare_labels(freq: Counter[str], min_count: int) -> dict[str, int]:
    """Labels with fewer than ``min_count`` records in the whole dataset (B002's rule)."""
    return {label: n for label, n in sorted(freq.items()) if n < min_count}


def split_units(sc: Scan, opts: SplitOptions, min_count: int) -> tuple[list[Unit], dict[str, int]]:
    """The units to assign and the classes too rare to split (empty without --stratify)."""
    pairs = zip(sc.unit_keys, sc.unit_sizes, strict=True)
    if not opts.stratify:
        return [Unit(key, size) for key, size in pairs], {}
    freq = label_counts(sc.labels)
    rare = rare_labels(freq, min_count)
    if freq and sum(rare.values()) * 2 > sc.records:
        raise ConfigError(
            f"{opts.shown('stratify')}: {len(freq):,} distinct values among {sc.records:,} "
            "records, most of them too rare to split; this is not classification data",
            hint="split without --stratify, or give class labels in the sidecar",
        )
    strata, per_label = unit_strata(sc.unit_of, sc.labels, sc.unit_sizes, freq)
    units = [Unit(key, size, strata[i], per_label[i]) for i, (key, size) in enumerate(pairs)]
    return units, rare
