"""Partitions of a JSONL file: byte ranges cut just after a newline, with the number of the
first line of each, so that a partition reports the line numbers a single pass would.

Cutting costs one pass that counts newlines (memory-bandwidth speed, no parsing), shared by
the engine's workers slice by slice; reading a partition seeks to its start and stops at its
end, so every byte is read by exactly one partition.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fineprep.engines.base import MAX_PARTITION_BYTES, MIN_PARTITION_BYTES, Engine
from fineprep.io.aws import AwsOptions
from fineprep.io.remote import is_remote, open_remote

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


def partition_count(size: int, parts: int, min_part: int) -> int:
    """Partitions for ``size`` bytes: one per worker, none under ``min_part`` bytes, and
    more (none over the maximum) for big inputs, in whole rounds of ``parts``: with 7 equal
    partitions on 2 workers one worker would run the last alone (4 rounds for 3.5 rounds'
    work), with 8 both finish together. 1 when that is all it takes."""
    count = max(1, min(parts, size // max(1, min_part)))
    if count == 1:
        return 1
    count = max(count, -(-size // MAX_PARTITION_BYTES))
    return -(-count // parts) * parts if count > parts else count


class _Window(io.RawIOBase):
    """Bytes ``[start, end)`` of a file as a raw stream (buffered above it)."""

    def __init__(self, path: str, part: ByteRange) -> None:
        self._file = Path(path).open("rb", buffering=0)  # noqa: SIM115 (closed with the window)
        self._file.seek(part.start)
        self._left = part.size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Straight into the caller's buffer (no copy in between)."""
        if self._left <= 0:
            return 0
        with memoryview(buffer) as view:
            got = self._file.readinto(view[: min(len(view), self._left)])
        self._left -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def open_range(
    path: str, part: ByteRange, aws: AwsOptions | None = None, etag: str | None = None
) -> io.BufferedReader[Any]:
    """One range of a file or S3 object as a buffered binary stream (lines, ``readline``);
    an object's only while it is still the version ``etag`` names (when given)."""
    if is_remote(path):
        return open_remote(path, aws or AwsOptions(), part.start, part.end, etag=etag)
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
            here = chunk.count(b"\n")  # newlines in chunk[at:]
            while target is not None:
                need = target - 1 - seen  # newlines still to pass in this chunk
                if need <= 0:
                    out.append(offset + at)
                    target = next(wanted, None)
                    continue
                if here < need:
                    seen += here
                    break
                found = _nth_newline(chunk, at, need)
                seen += need
                here -= need
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
    """Index of the ``n``-th newline at or after ``start`` (-1 if fewer). Windows that double
    while they hold fewer than ``n`` newlines, then halve around it, are counted in C (about
    twice the distance in all); the last few newlines are stepped to. A sidecar's short lines
    would otherwise cost a Python step each."""
    end = len(chunk)
    span = 4096
    while n > 64:
        stop = min(end, start + span)
        before = chunk.count(b"\n", start, stop)
        if before < n:  # past this window
            if stop == end:
                return -1
            start, n = stop, n - before
            span *= 2
        else:  # within it
            end = stop
            if span <= 4096:
                break
            span //= 2
    at = start - 1
    for _ in range(n):
        at = chunk.find(b"\n", at + 1, end)
        if at < 0:
            return -1
    return at


@dataclass(frozen=True)
class _Slice:
    path: str
    aws: AwsOptions | None
    start: int
    end: int
    etag: str | None = None


def _count_slice(piece: _Slice) -> tuple[int, int | None]:
    """Newlines in a slice of a file or object, and the offset of its first newline (None:
    none): blocks read into one buffer and counted in C, no line built."""
    count = 0
    first: int | None = None
    at = piece.start
    if piece.end <= piece.start:
        return 0, None
    buffer = bytearray(_CHUNK)
    part = ByteRange(piece.start, piece.end, 0)
    with open_range(piece.path, part, piece.aws, piece.etag) as stream:
        while got := stream.readinto(buffer):
            if first is None:
                found = buffer.find(b"\n", 0, got)
                if found >= 0:
                    first = at + found
            count += _newlines(buffer, got)
            at += got
    return count, first


#: Bytes sampled to choose how a block's newlines are counted.
_SAMPLE = 64 << 10


def _newlines(block: bytearray, end: int) -> int:
    """Newlines in ``block[:end]``. ``count`` steps through every byte (~3 GB/s); ``find``
    jumps from one newline to the next at memchr speed, ~3x faster when lines are kilobytes
    long (training records) and slower when they are tens of bytes (sidecars): a sample of
    the block chooses."""
    sample = block.count(b"\n", 0, min(end, _SAMPLE))
    if sample * 1024 > min(end, _SAMPLE):
        return block.count(b"\n", 0, end)
    count = 0
    find = block.find
    at = find(b"\n", 0, end)
    while at >= 0:
        count += 1
        at = find(b"\n", at + 1, end)
    return count


def jsonl_ranges(
    engine: Engine,
    path: str,
    size: int,
    aws: AwsOptions | None,
    parts: int,
    min_part: int = MIN_PARTITION_BYTES,
    etag: str | None = None,
) -> list[ByteRange]:
    """At most ``parts`` ranges of a file or S3 object of ``size`` bytes, of about equal size
    (none under ``min_part`` bytes unless the input is), each ending just after a newline or
    at the end.

    The engine's workers count the newlines of equal slices in parallel (a local file's
    slices from the page cache, an object's by byte-range reads), and the cuts follow from the
    counts: the cut after each target offset is just past the first newline at or after it."""
    count = partition_count(size, parts, min_part)
    if count == 1:
        return [ByteRange(0, size, 1)]
    targets = [size * k // count for k in range(count + 1)]
    slices = [_Slice(path, aws, targets[k], targets[k + 1], etag) for k in range(count)]
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
