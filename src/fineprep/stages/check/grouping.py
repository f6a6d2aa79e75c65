"""Grouping equal 64-bit keys, and line numbers stored as runs: the per-record state of the
exact-duplicate rules in a few bytes beyond the keys themselves.

A file of 10M records keeps 16 bytes a record for D001/D002 (two hashes); grouping them must not
double that. Sorting every key with its index (``argsort``) and materialising one boundary per
distinct key costs ~50 bytes a record at the peak, so the keys that repeat are found bucket by
bucket instead (one bucket of the keys, by their top bits, sorted at a time), and only the
records holding a repeated key are grouped.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from fineprep.core.errors import optional

#: Keys per bucket while the repeated ones are looked for (about 8 MB of sorted keys).
_BUCKET = 1 << 20
#: Below this many keys a set does it faster than numpy's setup.
_NUMPY_FROM = 20_000


def group_equal(keys: array[int]) -> Iterator[list[int]]:
    """Indices of equal keys, groups of two or more, each in ascending index order; groups in
    the order of their first index."""
    if len(keys) < 2:
        return
    groups: dict[int, list[int]] = {}
    for i in _holding_repeated(keys):
        groups.setdefault(keys[i], []).append(i)
    yield from groups.values()


def _holding_repeated(keys: array[int]) -> Iterable[int]:
    """Ascending indices of the keys that occur more than once."""
    if len(keys) >= _NUMPY_FROM and _has_numpy():
        return _holding_repeated_numpy(keys)
    repeated = _repeated_python(keys)
    if not repeated:
        return ()
    return (i for i, key in enumerate(keys) if key in repeated)


def _has_numpy() -> bool:
    """numpy is the [dataset] extra: without it large files are grouped in pure Python."""
    return optional("numpy") is not None


def _buckets(n: int) -> int:
    """A power of two, at most 256, so that a bucket holds about ``_BUCKET`` keys."""
    return min(256, 1 << max(0, -(-n // _BUCKET) - 1).bit_length())


def _repeated_python(keys: array[int]) -> set[int]:
    buckets = _buckets(len(keys))
    parts: list[array[int]] = [keys]
    if buckets > 1:
        shift = 64 - (buckets.bit_length() - 1)
        split = [array("Q") for _ in range(buckets)]
        for key in keys:
            split[key >> shift].append(key)
        parts = split
    repeated: set[int] = set()
    for part in parts:
        seen: set[int] = set()
        for key in part:
            if key in seen:
                repeated.add(key)
            else:
                seen.add(key)
    return repeated


def _holding_repeated_numpy(keys: array[int]) -> Iterator[int]:
    import numpy as np

    arr = np.frombuffer(keys, dtype=np.uint64)
    buckets = _buckets(len(arr))
    found: list[Any] = []
    if buckets == 1:
        found.append(_repeated_sorted(np.sort(arr)))
    else:
        # The top byte, read in place (no 8-byte temporary per key), names the bucket.
        top = arr.view(np.uint8)[7::8] if sys.byteorder == "little" else arr.view(np.uint8)[::8]
        bucket_of = top >> np.uint8(8 - (buckets.bit_length() - 1))
        for b in range(buckets):
            part = arr[bucket_of == b]
            part.sort()
            found.append(_repeated_sorted(part))
        del bucket_of
    repeated = np.concatenate(found)  # ascending: the buckets are in key order
    if not len(repeated):
        return
    last = len(repeated) - 1
    for start in range(0, len(arr), _BUCKET):
        chunk = arr[start : start + _BUCKET]
        at = np.minimum(np.searchsorted(repeated, chunk), last)
        yield from (np.flatnonzero(repeated[at] == chunk) + start).tolist()


def _repeated_sorted(part: Any) -> Any:
    """The distinct values that occur more than once in a sorted array."""
    import numpy as np

    if len(part) < 2:
        return part[:0]
    same = part[1:] == part[:-1]
    return np.unique(part[1:][same])


class LineRuns:
    """The line numbers of a file's records in runs of consecutive lines: records on
    consecutive lines (all of them, but for blank or unparsable lines) cost nothing each."""

    def __init__(self) -> None:
        #: Index of the first record of each run, and its line.
        self.starts: array[int] = array("Q")
        self.lines: array[int] = array("Q")
        self.count = 0
        self._next_line = -1

    def append(self, line: int) -> None:
        if line != self._next_line:
            self.starts.append(self.count)
            self.lines.append(line)
        self.count += 1
        self._next_line = line + 1

    def extend(self, other: LineRuns) -> None:
        """Append another partition's records (the file's later lines)."""
        for k in range(len(other.starts)):
            end = other.starts[k + 1] if k + 1 < len(other.starts) else other.count
            first = other.lines[k]
            if first != self._next_line:
                self.starts.append(self.count)
                self.lines.append(first)
            length = end - other.starts[k]
            self.count += length
            self._next_line = first + length

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self.count:
            raise IndexError(index)
        run = bisect_right(self.starts, index) - 1
        return int(self.lines[run] + index - self.starts[run])
