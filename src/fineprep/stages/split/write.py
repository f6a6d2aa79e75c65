"""The second pass of ``fineprep split``: copy each line, byte for byte, into its split.

Every output (data and sidecar) goes through :class:`fineprep.io.atomic.AtomicWriter`, so an
interrupted split leaves the previous files in place, never half-written ones. The input is
hashed again on the way and must match the first pass: a file that changed in between would
give a split of neither version.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import RecordMeta
from fineprep.io.atomic import AtomicWriter
from fineprep.io.jsonl import BOM, open_input, sidecar_path
from fineprep.io.outputs import OutputLock, refuse_mixed_set, same_file
from fineprep.stages.split.assign import DROPPED, SPLITS
from fineprep.stages.split.scan import Scan


@dataclass
class Output:
    """One written split: its files, record count, size and hash (for split.json)."""

    name: str
    path: Path
    sidecar: Path
    records: int = 0
    bytes: int = 0
    sha256: str = ""
    #: The sidecar's SHA-256, for split.json's set (computed while writing, as ``sha256``).
    sidecar_sha256: str = ""

    def summary(self) -> dict[str, object]:
        return {
            "path": self.path.name,
            "sidecar": self.sidecar.name,
            "records": self.records,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


#: Bytes read at a time by the copy (the lines of a block are split in C and written per split
#: as one joined chunk: a few calls a block, not a few a line).
_BLOCK = 1 << 20


def _pieces(stream: BinaryIO, digest: Any = None) -> Iterator[list[bytes]]:
    """The input's physical lines without their terminator (``\\n`` or ``\\r\\n``), a block at
    a time, each block passed to ``digest`` as read. A last line with no newline comes alone
    and as it is. A line longer than a block is gathered in parts (never copied per block)."""
    carry: list[bytes] = []
    while block := stream.read(_BLOCK):
        if digest is not None:
            digest.update(block)
        pieces = block.split(b"\n")
        tail = pieces.pop()
        if not pieces:  # no newline in this block
            carry.append(tail)
            continue
        if carry:
            pieces[0] = b"".join([*carry, pieces[0]])
        carry = [tail] if tail else []
        # A CR LF line is written with LF alone (the first line's CR may be a carried part's).
        if b"\r" in block or pieces[0][-1:] == b"\r":
            pieces = [p[:-1] if p[-1:] == b"\r" else p for p in pieces]
        yield pieces
    last = b"".join(carry)
    if last:
        yield [last]


class _Sidecar:
    """A sidecar's lines in step with the data's: ``take(n)`` gives the next ``n`` (an empty
    line for each one past its end)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._blocks = _pieces(stream)
        self._lines: list[bytes] = []
        self._at = 0

    def take(self, n: int) -> list[bytes]:
        while len(self._lines) - self._at < n:
            block = next(self._blocks, None)
            if block is None:
                self._lines.extend([b""] * (n - len(self._lines) + self._at))
                break
            self._lines = [*self._lines[self._at :], *block]
            self._at = 0
        out = self._lines[self._at : self._at + n]
        self._at += n
        return out


def write_splits(scan: Scan, split_of_record: list[str], out_dir: Path) -> dict[str, Output]:
    """Write ``<split>.jsonl`` and ``<split>.meta.jsonl`` for every split that has records."""
    present = set(split_of_record)
    names = [name for name in SPLITS if name in present]
    outputs = {
        name: Output(name, out_dir / f"{name}.jsonl", out_dir / f"{name}.meta.jsonl")
        for name in names
    }
    source_name = Path(scan.path).name
    again = hashlib.sha256()
    total = len(split_of_record)
    with contextlib.ExitStack() as stack:
        data: dict[str, IO[bytes]] = {}
        meta: dict[str, IO[bytes]] = {}
        writers: dict[str, tuple[AtomicWriter, AtomicWriter]] = {}
        for name, out in outputs.items():
            writers[name] = (AtomicWriter(out.path, digest=True),
                             AtomicWriter(out.sidecar, digest=True))  # fmt: skip
            data[name] = stack.enter_context(writers[name][0])
            meta[name] = stack.enter_context(writers[name][1])
        stream = stack.enter_context(contextlib.closing(open_input(scan.path)))
        side: _Sidecar | None = None
        if scan.sidecar is not None:
            side = _Sidecar(stack.enter_context(scan.sidecar.open("rb")))
        index = 0
        for pieces in _pieces(stream, again):
            count = len(pieces)
            if index + count > total:
                raise InputError(f"{scan.path}: changed while splitting (more lines than before)")
            if index == 0 and scan.bom:
                pieces[0] = pieces[0][len(BOM) :]
            if side is not None:
                metas = side.take(count)
            else:
                metas = [
                    orjson.dumps(RecordMeta(source=f"{source_name}:line {k + 1}").to_dict())
                    for k in range(index, index + count)
                ]
            lines: dict[str, list[bytes]] = {name: [] for name in outputs}
            sides: dict[str, list[bytes]] = {name: [] for name in outputs}
            for target, line, side_line in zip(
                split_of_record[index : index + count], pieces, metas, strict=True
            ):
                if target != DROPPED:
                    lines[target].append(line)
                    sides[target].append(side_line)
            index += count
            for name, chosen in lines.items():
                if not chosen:
                    continue
                chunk = b"\n".join(chosen) + b"\n"
                data[name].write(chunk)
                meta[name].write(b"\n".join(sides[name]) + b"\n")
                out = outputs[name]
                out.records += len(chosen)
                out.bytes += len(chunk)
        if again.hexdigest() != scan.sha256:
            raise InputError(
                f"{scan.path}: changed while splitting", hint="split again once it is stable"
            )
    for name, out in outputs.items():
        records, sidecar = writers[name]
        out.sha256 = records.sha256 or ""
        out.sidecar_sha256 = sidecar.sha256 or ""
    return outputs


def remove_stale(out_dir: Path, outputs: dict[str, Output], listed: dict[str, Any]) -> list[str]:
    """Delete split files an earlier split (``listed``: its split.json's ``files``, or an
    earlier round of this run) wrote that this one did not."""
    notes = []
    for name, entry in listed.items():
        if name in outputs or name not in SPLITS or not isinstance(entry, dict):
            continue
        for key in ("path", "sidecar"):
            stale = out_dir / str(entry.get(key, ""))
            if stale.name and stale.parent == out_dir and stale.is_file():
                stale.unlink()
                notes.append(f"removed {stale} left by an earlier split")
    return notes


@contextlib.contextmanager
def locked_output(out_dir: Path) -> Iterator[None]:
    """Hold the output lock of ``out_dir``; a folder made for the lock goes again when the
    split fails before writing anything into it."""
    made = not out_dir.exists()
    try:
        with OutputLock(out_dir / "split.json"):
            yield
    except BaseException:
        if made:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty
        raise


def refuse_overwrite(path: str, out_dir: Path, *, local: bool) -> None:
    """Refuse what would overwrite the input or cannot be written (a ``local`` input's files
    and set are checked here; a remote one's once staged)."""
    if path == "-":
        raise ConfigError(
            "split reads its input twice and cannot take standard input",
            hint="save it to a .jsonl file first",
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"-o {out_dir}: exists and is not a directory")
    if not local:
        return
    inputs = [Path(path), sidecar_path(path)]
    for name in (*SPLITS, "split"):
        for suffix in (".jsonl", ".meta.jsonl", ".json"):
            if any(same_file(out_dir / f"{name}{suffix}", i) for i in inputs):
                raise ConfigError(
                    f"-o {out_dir}: the split would overwrite its input {path}",
                    hint="write the split to another directory",
                )
    refuse_mixed_set(path)
