"""Leak-free units: records D004 would call leaks are merged into one unit before assignment.

A split is leak-free by construction when no two records that ``check``'s D004 compares as
equal can land on opposite sides. So before assignment, units (user groups, identical records,
repeated ids) are merged with a union-find over every pair of records that

- are the same record as D004 sees it (text, media, tool blocks),
- share their input (the D002 key: same prompt and context, different answer), or
- are near-duplicates at the D003 threshold (or D004's, if lower), by MinHash + LSH, or
- are a variant made by ``fineprep augment`` and the original its sidecar names in
  ``augmented_from`` (:func:`merge_variants`), whatever their similarity.

The keys and signatures are those of the check itself (:func:`leak_keys`, :func:`near_text`,
the same MinHasher), computed per record in the scan. LSH finds candidate pairs per bucket, not
every pair, so the split also runs D004 on what it wrote and merges any leak it still finds
(:func:`merge_leaks`) before writing again; the merges of each kind are counted for
``split.json``.
"""

from __future__ import annotations

import dataclasses
from array import array
from typing import TYPE_CHECKING, Any

from fineprep.core.config import Settings
from fineprep.stages.check.rules.near_duplicates import similarity_threshold
from fineprep.stages.split.identity import Identities

if TYPE_CHECKING:
    from fineprep.stages.split.scan import Scan

REASONS = ("identical", "same_input", "near_duplicate", "augmented", "leak_check")


class UnionFind:
    """Units merged into components; each merge is counted under its reason."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.merges = dict.fromkeys(REASONS, 0)

    def find(self, a: int) -> int:
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, a: int, b: int, reason: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        self.merges[reason] += 1
        return True


def merge_leaky_units(
    ids: Identities, unit_of: array[int], units: UnionFind, settings: Settings
) -> None:
    """Merge the units of records that share a D004 key or are near-duplicates."""
    import numpy as np

    from fineprep.stages.check.grouping import group_equal
    from fineprep.stages.check.lsh import similar_pairs

    ids.finish()
    compared = np.frombuffer(ids.compared, dtype=np.uint8).astype(bool)
    state = ids.state
    for keys, reason in ((state.full, "identical"), (state.context, "same_input")):
        for group in group_equal(keys):  # a few bytes a record, not a dict of every key
            members = [i for i in group if compared[i] and keys[i]]
            for i in members[1:]:
                units.union(unit_of[i], unit_of[members[0]], reason)
    if not state.sigs:
        return
    threshold = min(
        similarity_threshold(settings.check_options("D003"), "D003"),
        similarity_threshold(settings.check_options("D004"), "D004"),
    )
    empty = np.concatenate(state.empty)
    salt = np.frombuffer(state.salt, dtype=np.uint64)
    # The signature batches are handed over: copied into one matrix and freed batch by batch.
    sigs, state.sigs = state.sigs, []
    later, earlier, _ = similar_pairs(sigs, threshold, skip=empty | ~compared, salt=salt)
    for a, b in zip(later.tolist(), earlier.tolist(), strict=True):
        units.union(unit_of[a], unit_of[b], "near_duplicate")


def merge_variants(sc: Scan, units: UnionFind) -> int:
    """Merge each augmented record's unit with its original's (the record whose sidecar id is
    its ``augmented_from``); returns (and keeps in ``sc.orphans``) how many variants have no
    original in the dataset.

    The sidecar is read again only for the ids variants name, so a split of data that was
    never augmented keeps nothing more per record."""
    if not sc.augmented or sc.sidecar is None:
        sc.orphans = len(sc.augmented)
        return sc.orphans
    from fineprep.core import jsonexact

    wanted = {origin for _, origin, _ in sc.augmented}
    found: dict[str, int] = {}
    with sc.sidecar.open("rb") as fh:
        for index, line in enumerate(fh):
            if index >= sc.records:
                break
            if b'"id"' not in line:
                continue
            rid = jsonexact.loads(line).get("id")
            key = None if rid is None else str(rid)
            if key in wanted and key not in found:
                found[key] = index
    orphans = 0
    for index, origin, _ in sc.augmented:
        original = found.get(origin)
        if original is None:
            orphans += 1
        else:
            units.union(sc.unit_of[index], sc.unit_of[original], "augmented")
    sc.orphans = orphans
    return orphans


def regrouped(sc: Scan, units: UnionFind) -> Scan:
    """The scan with its units merged: each component is one unit, keyed and ordered by its
    first original unit (so adding records elsewhere does not move it)."""
    index: dict[int, int] = {}
    unit_of = array("I")
    keys: list[bytes] = []
    sizes: list[int] = []
    for unit in sc.unit_of:
        root = units.find(unit)
        k = index.get(root)
        if k is None:
            k = index[root] = len(keys)
            keys.append(sc.unit_keys[root])
            sizes.append(0)
        sizes[k] += 1
        unit_of.append(k)
    return dataclasses.replace(sc, unit_of=unit_of, unit_keys=keys, unit_sizes=sizes)


def merge_summary(sc: Scan, units: UnionFind) -> dict[str, Any]:
    """For ``split.json``: merges per reason, and records in units that were merged."""
    members: dict[int, int] = {}
    for unit in range(len(sc.unit_keys)):
        root = units.find(unit)
        members[root] = members.get(root, 0) + 1
    merged = sum(1 for unit in sc.unit_of if members[units.find(unit)] > 1)
    return {"merged_records": merged, "merges": dict(units.merges)}
