"""Locality-sensitive hashing over MinHash signatures: candidate pairs, verified.

Signatures (:mod:`.minhash`) are cut into ``bands`` of ``rows`` values; records that
agree on a whole band land in the same bucket and become candidates, and each candidate pair
is verified with the estimated similarity (the share of equal signature values). A pair with
similarity ``s`` becomes a candidate with probability ``1 - (1 - s**rows)**bands``, so bands
and rows are chosen for the threshold, weighted towards not missing pairs: verification makes
a false candidate cheap, while a missed one is never seen again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from fineprep.stages.check.minhash import I64, U32, U64, Mask, mix

F64 = npt.NDArray[np.float64]


def _area(values: F64, step: float) -> float:
    """Trapezoid rule on an evenly spaced grid (numpy renamed its own between versions)."""
    if len(values) < 2:
        return 0.0
    return float(step * (values.sum() - 0.5 * (values[0] + values[-1])))


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int, fn_weight: float = 0.9) -> tuple[int, int]:
    """Bands and rows per band minimising the weighted false-positive/negative probability mass.

    Candidates are verified against their signatures afterwards, so a false positive costs one
    comparison while a false negative is a missed duplicate: the default weighs misses 9:1.
    """
    xs = np.linspace(0.0, 1.0, 2001)
    step = float(xs[1] - xs[0])
    best = (1, num_perm)
    best_err = float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            prob = 1.0 - (1.0 - xs**rows) ** bands
            low, high = xs < threshold, xs >= threshold
            fp = _area(prob[low], step)
            fn = _area(1.0 - prob[high], step)
            err = (1.0 - fn_weight) * fp + fn_weight * fn
            if err < best_err - 1e-12:
                best, best_err = (bands, rows), err
    return best


#: Records per slice while band keys are computed.
_KEY_ROWS = 1 << 16


def band_keys(sig: U32, bands: int, rows: int, salt: U64 | None = None) -> Iterator[U64]:
    """One 64-bit key per record, band by band: records sharing a key share that band exactly
    (and, with ``salt``, their salt). One band's keys are in memory at a time."""
    coeff = np.random.default_rng(7).integers(1, 1 << 63, size=rows, dtype=np.uint64)
    coeff = coeff * np.uint64(2) + np.uint64(1)
    n = sig.shape[0]
    for band in range(bands):
        raw = np.empty(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for lo in range(0, n, _KEY_ROWS):  # in slices: temporaries of a few MB
                part = sig[lo : lo + _KEY_ROWS, band * rows : (band + 1) * rows]
                raw[lo : lo + _KEY_ROWS] = (part.astype(np.uint64) * coeff[None, :]).sum(
                    axis=1, dtype=np.uint64
                )
            keys = mix(raw)
            del raw
            yield keys if salt is None else mix(keys ^ salt)


def candidate_pairs(keys: Iterable[U64], boundary: int | None = None) -> tuple[I64, I64]:
    """Pairs ``(later, earlier)`` of row indices that share a band bucket, in ascending order.

    Within a bucket (rows in index order) each row is paired with the bucket's first row and
    with its predecessor, never with every member: a bucket of ten thousand copies yields
    twenty thousand pairs, not fifty million. With ``boundary``, only pairs with
    ``earlier < boundary <= later`` are kept, the earlier side paired with the bucket's first
    and last row below the boundary. Each band's pairs are folded into one sorted set of pair
    codes as it is done, so memory holds the distinct pairs, not every band's copies of them.
    """
    found = np.empty(0, dtype=np.int64)
    width = 0
    for band in keys:
        n = len(band)
        if n < 2:
            break
        width = n
        order = np.argsort(band, kind="stable")
        sorted_keys = band[order]
        start = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
        del sorted_keys
        pos = np.arange(n)
        run_start = np.maximum.accumulate(np.where(start, pos, 0))
        if boundary is None:
            mask = ~start
            later = order[mask].astype(np.int64)
            firsts, previous = order[run_start[mask]], order[pos[mask] - 1]
        else:
            below = order < boundary
            last_below = np.maximum.accumulate(np.where(below, pos, -1))
            mask = ~below & (last_below >= run_start)
            later = order[mask].astype(np.int64)
            firsts, previous = order[run_start[mask]], order[last_below[mask]]
        if not len(later):
            continue
        here = np.unique(np.concatenate((later * n + firsts, later * n + previous)))
        found = np.union1d(found, here)
    if not len(found):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return found // width, found % width


def similarity(sig: U32, i: I64, j: I64, chunk: int = 1 << 15) -> F64:
    """Estimated Jaccard similarity of rows ``i`` and ``j``: the share of equal minima."""
    out = np.empty(len(i), dtype=np.float64)
    for lo in range(0, len(i), chunk):
        a, b = sig[i[lo : lo + chunk]], sig[j[lo : lo + chunk]]
        out[lo : lo + chunk] = (a == b).mean(axis=1)
    return out


def similar_pairs(
    sig: U32 | list[U32],
    threshold: float,
    *,
    boundary: int | None = None,
    skip: Mask | None = None,
    salt: U64 | None = None,
    params: tuple[int, int] | None = None,
) -> tuple[I64, I64, F64]:
    """Every verified pair ``(later, earlier, similarity)`` with similarity >= threshold.

    Rows flagged in ``skip`` (texts without words) take part in no pair: their signatures are
    all equal and would otherwise match each other. Rows pair only with rows of the same
    ``salt`` (the hash of a record's images, videos and tool blocks): the same question about
    two different images is two records, however alike their words.

    ``sig`` may be a list of signature batches (as the rules collect them): the rows that
    take part are copied out of them into one matrix, without a copy of the whole first. A
    list is emptied as its batches are copied (the caller hands it over).
    """
    rows, sig = _compact(sig, skip)
    if boundary is not None:
        boundary = int(np.searchsorted(rows, boundary))
    bands, per = params or lsh_params(threshold, sig.shape[1])
    row_salt = salt[rows] if salt is not None and salt.any() else None
    i, j = candidate_pairs(band_keys(sig, bands, per, row_salt), boundary)
    sim = similarity(sig, i, j)
    keep = sim >= threshold - 1e-9
    if row_salt is not None:
        keep &= row_salt[i] == row_salt[j]
    return rows[i[keep]], rows[j[keep]], sim[keep]


def _compact(sig: U32 | list[U32], skip: Mask | None) -> tuple[I64, U32]:
    """The indices of the rows not skipped, and their signatures in one matrix."""
    if not isinstance(sig, list):
        if skip is None or not skip.any():
            return np.arange(sig.shape[0]), sig
        rows = np.flatnonzero(~skip)
        return rows, sig[rows]
    total = sum(len(batch) for batch in sig)
    keep = np.ones(total, dtype=bool) if skip is None else ~skip
    rows = np.flatnonzero(keep)
    width = sig[0].shape[1] if sig else 0
    out = np.empty((len(rows), width), dtype=np.uint32)
    start = filled = 0
    sig.reverse()  # batches are taken from the end, each freed once copied
    while sig:
        batch = sig.pop()
        mine = keep[start : start + len(batch)]
        got = int(mine.sum())
        out[filled : filled + got] = batch[mine]
        start += len(batch)
        filled += got
    return rows, out


def best_match(i: I64, j: I64, sim: F64) -> tuple[I64, I64, F64]:
    """For each distinct ``i``, its most similar ``j`` (ties: the earliest)."""
    if len(i) == 0:
        return i, j, sim
    order = np.lexsort((j, -sim, i))
    i, j, sim = i[order], j[order], sim[order]
    first = np.concatenate(([True], i[1:] != i[:-1]))
    return i[first], j[first], sim[first]
