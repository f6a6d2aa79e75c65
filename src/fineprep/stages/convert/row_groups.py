"""Partitions inside one Parquet file: runs of its row groups, so that a single big table is
converted by every worker instead of one.

A file's footer lists its row groups with their row counts and sizes; consecutive groups are
cut into about as many slices as there are workers (none under ``min_part`` bytes, none over
the engine's maximum), each knowing the number of its first row, so that sources
(``file.parquet:row 1234``) and the order of the output are a single pass's. Only the footer is
read here; a file with one row group, or one that cannot be read, is one partition (its reader
reports what is wrong with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from fineprep.engines.partitions import partition_count


@dataclass(frozen=True)
class RowSlice:
    """Row groups ``[start, stop)`` of a file; ``first_row`` rows come before them."""

    start: int
    stop: int
    first_row: int


def parquet_slices(path: str, parts: int, min_part: int) -> list[RowSlice] | None:
    """The slices of a local Parquet file, or None when it is one partition."""
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
    except Exception:
        return None
    groups = [(meta.row_group(k).num_rows, meta.row_group(k).total_byte_size)
              for k in range(meta.num_row_groups)]  # fmt: skip
    if len(groups) < 2:
        return None
    size = sum(nbytes for _, nbytes in groups)
    count = min(len(groups), partition_count(size, parts, min_part))
    if count < 2:
        return None
    slices: list[RowSlice] = []
    start, rows, seen = 0, 0, 0
    first_row = 0
    for k, (num_rows, nbytes) in enumerate(groups):
        seen += nbytes
        rows += num_rows
        # Cut after group k once this slice's share of the bytes is reached.
        if len(slices) < count - 1 and seen >= size * (len(slices) + 1) // count:
            slices.append(RowSlice(start, k + 1, first_row))
            start, first_row = k + 1, rows
    if start < len(groups):
        slices.append(RowSlice(start, len(groups), first_row))
    return slices if len(slices) > 1 else None
