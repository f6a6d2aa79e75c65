"""Raw JSONL reading (bytes, with line numbers) and atomic writing.

The reader hands out raw bytes rather than decoded text: parsing, UTF-8 validation and the
literal prefilters of the hygiene checks all work on bytes, and a record is decoded once.
Writers go through a temporary file in the same directory and ``os.replace``, so an
interrupted run never leaves a half-written file where a good one is expected.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from fineprep.core.errors import InputError

BOM = b"\xef\xbb\xbf"
STDIN = "-"


def open_input(path: str) -> BinaryIO:
    """Open a JSONL input (``-`` for stdin) or raise an :class:`InputError` that says why."""
    if path == STDIN:
        return sys.stdin.buffer
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory", hint="pass the .jsonl files inside it")
    try:
        return p.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path") from None
    except PermissionError:
        raise InputError(
            f"{path}: permission denied", hint="check the file's permissions"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None


def strip_line(raw: bytes) -> bytes:
    """A physical line without its terminator (``\\n`` or ``\\r\\n``)."""
    if raw[-1:] == b"\n":
        return raw[:-2] if raw[-2:-1] == b"\r" else raw[:-1]
    return raw


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_line)`` for every line, without its ``\\n`` (or ``\\r\\n``).

    A final line without a newline is yielded too; the empty string after a final newline is
    not (a file that ends in a newline has no trailing blank line).
    """
    for number, line in enumerate(stream, 1):
        yield number, strip_line(line)


def peek_start(stream: BinaryIO, size: int = 64) -> bytes:
    """The first bytes of a stream without consuming them (BOM and JSON-array detection)."""
    peek = getattr(stream, "peek", None)
    if peek is None:
        return b""
    data: bytes = peek(size)
    return data[:size]


class AtomicWriter:
    """A file that appears at ``path`` only when the ``with`` block completes without error."""

    def __init__(self, path: str | os.PathLike[str], mode: str = "wb") -> None:
        self.path = Path(path)
        self.mode = mode
        self._tmp: Path | None = None
        self._fh: IO[bytes] | IO[str] | None = None

    def __enter__(self) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _remove_orphans(self.path)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.{os.getpid()}.", suffix=".tmp", dir=self.path.parent
        )
        self._tmp = Path(tmp)
        fh = os.fdopen(fd, "wb")
        self._fh = fh
        return fh

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None:
                self._tmp.replace(self.path)
        finally:
            if self._tmp.exists():
                with contextlib.suppress(OSError):
                    self._tmp.unlink()


def _remove_orphans(path: Path) -> None:
    """Delete temp files of earlier writers of ``path`` that were killed (their process is
    gone), so an interrupted run leaves nothing behind once the next run writes the file."""
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        pid_text = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except (PermissionError, OverflowError, OSError):
            continue


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with AtomicWriter(path) as fh:
        fh.write(data)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``data/train.jsonl`` -> ``data/train.meta.jsonl`` (the provenance file, line for line)."""
    p = Path(path)
    name = p.name
    if name.endswith(".jsonl"):
        name = name[: -len(".jsonl")]
    return p.with_name(f"{name}.meta.jsonl")
