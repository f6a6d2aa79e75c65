"""Raw JSONL reading (bytes, with line numbers) and sidecars beside a dataset.

The reader hands out raw bytes rather than decoded text: parsing, UTF-8 validation and the
literal prefilters of the hygiene checks all work on bytes, and a record is decoded once.
Writing is :mod:`fineprep.io.atomic`'s.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from fineprep.core import jsonexact
from fineprep.core.errors import InputError

BOM = b"\xef\xbb\xbf"
STDIN = "-"


#: Longest line read (bytes, without its terminator): a longer one is skipped, never held.
MAX_LINE_BYTES = 64 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024


def require_regular_file(path: str) -> None:
    """Refuse, before opening it, an input that is not a regular file: reading a FIFO waits
    for a writer forever, a character device (``/dev/zero``, ``/dev/urandom``) never ends,
    a socket cannot be read. Standard input (``-``) is the way to stream data in."""
    if path == STDIN:
        return
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied", hint="check the permissions") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory", hint="pass the files inside it")
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a character device"
        if stat.S_ISCHR(mode)
        else "a block device"
        if stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise InputError(
        f"{path}: is {kind}, not a regular file",
        hint="pipe it to standard input and pass - instead",
    )


def open_input(path: str) -> BinaryIO:
    """Open a JSONL input (``-`` for stdin) or raise an :class:`InputError` that says why."""
    if path == STDIN:
        if sys.stdin is None:  # started with standard input closed (`<&-`)
            raise InputError(
                "-: standard input is closed", hint="pipe the data in, or give a file's path"
            )
        return sys.stdin.buffer
    require_regular_file(path)
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path") from None
    except PermissionError:
        raise InputError(
            f"{path}: permission denied", hint="check the file's permissions"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None


class LineTooLong:
    """Stands for a line longer than the maximum, measured while it was skipped: ``size`` is
    its content (what the maximum is compared with, and what P007 states), ``length`` the
    bytes it takes in the file with its line ending (what a file's byte count adds up).
    ``ended`` is False when no newline came within :data:`SKIP_FACTOR` times the maximum
    (endless input such as ``/dev/zero`` on stdin): reading stopped there."""

    __slots__ = ("ended", "length", "size")

    def __init__(self, size: int, ended: bool = True, length: int | None = None) -> None:
        self.size = size
        self.ended = ended
        self.length = size if length is None else length


#: How far past the maximum a long line is read to find its end before reading stops.
SKIP_FACTOR = 16


def _ending(tail: bytes) -> int:
    """Bytes of the line ending at the end of ``tail`` (a line's last two bytes, or fewer)."""
    if tail[-1:] != b"\n":
        return 0
    return 2 if tail[-2:] == b"\r\n" else 1


def bounded_lines(
    stream: BinaryIO | Iterable[bytes], max_bytes: int = MAX_LINE_BYTES
) -> Iterator[bytes | LineTooLong]:
    """Every physical line (with its line ending), each judged by its content alone: a line
    whose bytes without ``\\n`` or ``\\r\\n`` are more than ``max_bytes`` stands as a
    :class:`LineTooLong`, however it ends (LF, CRLF, or the last line with no newline). So
    a file means the same with either line ending, and every reader of lines agrees.

    At most ``max_bytes`` + 2 bytes of a line are held: a longer line is read past in 1 MiB
    pieces up to its newline (a dump without newlines: no MemoryError). Input with no
    newline in ``SKIP_FACTOR`` times the maximum ends with a LineTooLong that did not end."""
    max_bytes = int(max_bytes)  # a config's 1e6 is an integer to JSON Schema, a float here
    readline = getattr(stream, "readline", None)
    if readline is None:  # lines already split (a partition's range): only judged here
        for line in stream:
            if len(line) <= max_bytes:  # the common line: within the maximum with its ending
                yield line
                continue
            content = len(line) - _ending(line[-2:])
            yield line if content <= max_bytes else LineTooLong(content, length=len(line))
        return
    limit = max_bytes + 2  # the longest content, and room for its \r\n
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) <= max_bytes:  # the common line: within the maximum with its ending
            yield line
            continue
        if len(line) < limit or line[-1:] == b"\n":  # the whole line, ending included
            content = len(line) - _ending(line[-2:])
            yield line if content <= max_bytes else LineTooLong(content, length=len(line))
            continue
        size, tail = len(line), line[-2:]
        while size <= SKIP_FACTOR * max_bytes:
            chunk = readline(_SKIP_CHUNK)
            size += len(chunk)
            tail = chunk[-2:] if len(chunk) >= 2 else (tail + chunk)[-2:]
            if not chunk or chunk[-1:] == b"\n":
                break
        else:
            yield LineTooLong(size, ended=False)
            return
        yield LineTooLong(size - _ending(tail), length=size)


def too_long_error(path: str, line: int, size: int, max_bytes: int = MAX_LINE_BYTES) -> InputError:
    return InputError(
        f"{path}:{line}: line of {size:,} bytes is longer than the maximum of {max_bytes:,}",
        hint="split the record, or raise max-line-bytes",
    )


def strip_line(raw: bytes) -> bytes:
    """A physical line without its terminator (``\\n`` or ``\\r\\n``)."""
    if raw[-1:] == b"\n":
        return raw[:-2] if raw[-2:-1] == b"\r" else raw[:-1]
    return raw


def iter_lines(
    stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES, name: str = "<input>"
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_line)`` for every line, without its ``\\n`` (or ``\\r\\n``).

    A final line without a newline is yielded too; the empty string after a final newline is
    not (a file that ends in a newline has no trailing blank line). A line longer than
    ``max_bytes`` is an :class:`InputError` naming ``name`` and the line.
    """
    for number, line in enumerate(bounded_lines(stream, max_bytes), 1):
        if isinstance(line, LineTooLong):
            raise too_long_error(name, number, line.size, max_bytes)
        yield number, strip_line(line)


#: What a file that is not UTF-8 text starts with, what it is, and how to get JSONL out of it.
_NOT_TEXT = (
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip FILE)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (zstd -d FILE)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (xz -d FILE)"),
    (b"BZh", "bzip2-compressed", "decompress it first (bunzip2 FILE)"),
    (b"PK\x03\x04", "a zip archive", "extract the JSONL file from it"),
    (b"\xff\xfe", "UTF-16 (little-endian byte-order mark)", "re-encode it as UTF-8 "
     "(iconv -f utf-16 -t utf-8 FILE)"),
    (b"\xfe\xff", "UTF-16 (big-endian byte-order mark)", "re-encode it as UTF-8 "
     "(iconv -f utf-16 -t utf-8 FILE)"),
)  # fmt: skip


def not_text(head: bytes) -> tuple[str, str] | None:
    """``(what the file is, what to do)`` when its first bytes say it is compressed, an
    archive or UTF-16, not UTF-8 JSONL: one finding then says so, not one per line."""
    for magic, what, fix in _NOT_TEXT:
        if head.startswith(magic):
            return what, fix
    return None


def peek_start(stream: BinaryIO, size: int = 64) -> bytes:
    """The first bytes of a stream without consuming them (BOM and JSON-array detection)."""
    peek = getattr(stream, "peek", None)
    if peek is None:
        return b""
    data: bytes = peek(size)
    return data[:size]


def existing_sidecar(path: str) -> Path | None:
    """The sidecar beside a dataset, if there is one (and it is not the dataset itself)."""
    meta = sidecar_path(path)
    return meta if meta.is_file() and meta != Path(path) else None


def with_sidecar(path: str, sidecar: Path | None) -> Iterator[tuple[int, bytes, bytes | None]]:
    """``(line number, physical line, sidecar line or None)`` for every line of a dataset read
    with its sidecar, which must have exactly one line per line (an :class:`InputError` names
    the file otherwise). Stages that rewrite a dataset (split, augment) read it this way."""
    stream = open_input(path)
    meta_stream: BinaryIO | None = open_input(str(sidecar)) if sidecar else None
    try:
        yield from pair_with_sidecar(_within_bound(path, stream), meta_stream, sidecar)
    finally:
        stream.close()
        if meta_stream is not None:
            meta_stream.close()


def _within_bound(path: str, stream: BinaryIO) -> Iterator[bytes]:
    for line_no, physical in enumerate(bounded_lines(stream), 1):
        if isinstance(physical, LineTooLong):
            raise too_long_error(path, line_no, physical.size)
        yield physical


def pair_with_sidecar(
    lines: Iterable[bytes],
    meta_stream: BinaryIO | None,
    sidecar: object,
    *,
    first_line: int = 1,
    last: bool = True,
) -> Iterator[tuple[int, bytes, bytes | None]]:
    """``lines`` (numbered from ``first_line``) each with the next line of ``meta_stream``
    (None without one): a sidecar that runs out first is an :class:`InputError`, and so is one
    with lines left over once ``last`` lines are read (a partition that is not the file's last
    leaves them to the next)."""
    line_no = first_line - 1
    for line_no, physical in enumerate(lines, first_line):
        meta = None
        if meta_stream is not None:
            meta = meta_stream.readline()
            if not meta:
                raise InputError(
                    f"{sidecar}: has fewer lines than the dataset (no line {line_no})",
                    hint=SIDECAR_HINT,
                )
        yield line_no, physical, meta
    if last and meta_stream is not None and meta_stream.readline():
        raise InputError(
            f"{sidecar}: has more lines than the dataset ({line_no})", hint=SIDECAR_HINT
        )


#: What to do about a sidecar whose lines do not match its dataset's.
SIDECAR_HINT = "regenerate the sidecar so it has one line per record"


def sidecar_object(raw: bytes, sidecar: Path | None, line: int) -> dict[str, Any]:
    """A sidecar line as a JSON object, or an :class:`InputError` naming the file and line."""
    import orjson

    try:
        obj = jsonexact.loads(raw)  # JSON allows the line terminator as trailing whitespace
    except orjson.JSONDecodeError:
        raise InputError(f"{sidecar}:{line}: sidecar line is not valid JSON") from None
    if not isinstance(obj, dict):
        raise InputError(f"{sidecar}:{line}: sidecar line is not a JSON object")
    return obj


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``data/train.jsonl`` -> ``data/train.meta.jsonl`` (the provenance file, line for line)."""
    p = Path(path)
    name = p.name
    if name.endswith(".jsonl"):
        name = name[: -len(".jsonl")]
    return p.with_name(f"{name}.meta.jsonl")
