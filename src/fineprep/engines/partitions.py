"""Partitions of a JSONL file: byte ranges cut just after a newline, with the number of the
first line of each, so that a partition reports the line numbers a single pass would.

Cutting costs one pass that counts newlines (memory-bandwidth speed, no parsing); reading a
partition seeks to its start and stops at its end, so every byte is read by exactly one
partition.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fineprep.engines.base import MAX_PARTITION_BYTES, MIN_PARTITION_BYTES, Engine
from fineprep.io.aws import AwsOptions
from fineprep.io.remote import is_remote, open_remote, remote_lines, remote_size

_CHUNK = 8 << 20


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``[start, end)`` of a file; ``first_line`` is the 1-based number of its first line."""

    start: int
    end: int
    first_line: int

    @property
    def size(self) -> int:
        return self.end - self.start


def jsonl_ranges(path: str, parts: int, min_part: int = MIN_PARTITION_BYTES) -> list[ByteRange]:
    """At most ``parts`` ranges of about equal size (none under ``min_part`` bytes unless the
    file is), each ending just after a newline or at the end of the file."""
    size = Path(path).stat().st_size
    count = partition_count(size, parts, min_part)
    if count == 1:
        return [ByteRange(0, size, 1)]
    targets = [size * k // count for k in range(1, count)]
    cuts: list[tuple[int, int]] = []  # (offset just after a newline, lines before it)
    lines = 0
    offset = 0
    with Path(path).open("rb") as stream:
        while targets:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            at = 0
            while targets and targets[0] < offset + len(chunk):
                local = max(at, targets[0] - offset)
                newline = chunk.find(b"\n", local)
                if newline < 0:
                    break
                lines += chunk.count(b"\n", at, newline + 1)
                at = newline + 1
                cut = offset + at
                if not cuts or cut > cuts[-1][0]:
                    cuts.append((cut, lines))
                while targets and targets[0] < cut:
                    targets.pop(0)
            lines += chunk.count(b"\n", at)
            offset += len(chunk)
    bounds = [(0, 0), *[c for c in cuts if c[0] < size]]
    ranges = []
    for k, (start, before) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else size
        ranges.append(ByteRange(start, end, before + 1))
    return ranges


def partition_count(size: int, parts: int, min_part: int) -> int:
    """Partitions for ``size`` bytes: one per worker, none under ``min_part`` bytes, and
    more (none over the maximum) for big inputs; 1 when that is all it takes."""
    count = max(1, min(parts, size // max(1, min_part)))
    if count == 1:
        return 1
    return max(count, -(-size // MAX_PARTITION_BYTES))


class _Window(io.RawIOBase):
    """Bytes ``[start, end)`` of a file as a raw stream (buffered above it)."""

    def __init__(self, path: str, part: ByteRange) -> None:
        self._file = Path(path).open("rb")  # noqa: SIM115 (closed with the window)
        self._file.seek(part.start)
        self._left = part.size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        data = self._file.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


def open_range(path: str, part: ByteRange, aws: AwsOptions | None = None) -> BinaryIO:
    """One range of a file or S3 object as a buffered binary stream (lines, ``readline``)."""
    if is_remote(path):
        return open_remote(path, aws or AwsOptions(), part.start, part.end)
    return io.BufferedReader(_Window(path, part), buffer_size=1 << 20)


def read_range(path: str, part: ByteRange, aws: AwsOptions | None = None) -> Iterator[bytes]:
    """The physical lines (with their newlines) of one range of a file or S3 object."""
    if part.size <= 0:
        return
    with open_range(path, part, aws) as stream:
        yield from stream


def line_offsets(path: str, lines: list[int]) -> list[int | None]:
    """Where each of ``lines`` (1-based, ascending) starts in a file: the end of the file for
    the line after its last, None past that. For a sidecar read beside a partition."""
    out: list[int | None] = []
    wanted = iter(lines)
    target = next(wanted, None)
    seen = 0  # newlines before ``offset``
    offset = 0
    last = b"\n"
    with Path(path).open("rb") as stream:
        while target is not None:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            at = 0
            while target is not None:
                need = target - 1 - seen  # newlines still to pass in this chunk
                if need <= 0:
                    out.append(offset + at)
                    target = next(wanted, None)
                    continue
                here = chunk.count(b"\n", at)
                if here < need:
                    seen += here
                    break
                found = _nth_newline(chunk, at, need)
                seen += need
                at = found + 1
            offset += len(chunk)
            last = chunk[-1:]
    lines_in_file = seen + (0 if last == b"\n" else 1)
    while target is not None:
        # Past the counted part: the line after the last starts at the end, others nowhere.
        out.append(offset if target - 1 == lines_in_file else None)
        target = next(wanted, None)
    return out


def _nth_newline(chunk: bytes, start: int, n: int) -> int:
    """Index of the ``n``-th newline at or after ``start`` (-1 if fewer)."""
    at = start - 1
    for _ in range(n):
        at = chunk.find(b"\n", at + 1)
        if at < 0:
            return -1
    return at


@dataclass(frozen=True)
class _Slice:
    path: str
    aws: AwsOptions
    start: int
    end: int


def _count_slice(piece: _Slice) -> tuple[int, int | None]:
    """Newlines in a slice of an object, and the offset of its first newline (None: none)."""
    count = 0
    first: int | None = None
    at = piece.start
    for line in remote_lines(piece.path, piece.aws, piece.start, piece.end):
        if line.endswith(b"\n"):
            count += 1
            if first is None:
                first = at + len(line) - 1
        at += len(line)
    return count, first


def remote_ranges(
    engine: Engine, path: str, aws: AwsOptions, parts: int, min_part: int = MIN_PARTITION_BYTES
) -> list[ByteRange]:
    """:func:`jsonl_ranges` for an S3 object: the engine's workers count the newlines of
    equal slices in parallel (byte-range reads), and the cuts follow from the counts."""
    size = remote_size(path, aws)
    count = partition_count(size, parts, min_part)
    if count == 1:
        return [ByteRange(0, size, 1)]
    targets = [size * k // count for k in range(count + 1)]
    slices = [_Slice(path, aws, targets[k], targets[k + 1]) for k in range(count)]
    counted = list(engine.map(_count_slice, slices))
    bounds: list[tuple[int, int]] = [(0, 0)]
    before = 0  # newlines in the slices before slice k
    for k in range(1, count):
        before += counted[k - 1][0]
        # The cut after target k is just past the first newline at or after it.
        lines_before, j = before, k
        while j < count and counted[j][1] is None:
            lines_before += counted[j][0]
            j += 1
        if j == count:
            break
        first = counted[j][1]
        assert first is not None
        cut = (first + 1, lines_before + 1)
        if cut[0] > bounds[-1][0] and cut[0] < size:
            bounds.append(cut)
    ranges = []
    for k, (start, lines) in enumerate(bounds):
        end = bounds[k + 1][0] if k + 1 < len(bounds) else size
        ranges.append(ByteRange(start, end, lines + 1))
    return ranges
