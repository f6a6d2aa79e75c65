"""The second pass of ``fineprep split``: copy each line, byte for byte, into its split.

Every output (data and sidecar) goes through :class:`fineprep.io.atomic.AtomicWriter`, so an
interrupted split leaves the previous files in place, never half-written ones. The input is
hashed again on the way and must match the first pass: a file that changed in between would
give a split of neither version.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

import orjson

from fineprep.core.errors import InputError
from fineprep.core.model import RecordMeta
from fineprep.io.atomic import AtomicWriter
from fineprep.io.jsonl import BOM, open_input, strip_line
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


def _terminated(physical: bytes) -> bytes:
    """The line ending in exactly ``\\n`` (most lines already do: no copy)."""
    if physical[-1:] == b"\n" and physical[-2:-1] != b"\r":
        return physical
    return strip_line(physical) + b"\n"


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
        side: BinaryIO | None = None
        if scan.sidecar is not None:
            side = stack.enter_context(scan.sidecar.open("rb"))
        for index, physical in enumerate(stream):
            again.update(physical)
            side_line = side.readline() if side is not None else b""
            target = split_of_record[index] if index < len(split_of_record) else None
            if target is None:
                raise InputError(f"{scan.path}: changed while splitting (more lines than before)")
            if target == DROPPED:
                continue
            line = _terminated(physical)
            if index == 0 and scan.bom:
                line = line[len(BOM) :]
            data[target].write(line)
            out = outputs[target]
            out.records += 1
            out.bytes += len(line)
            if side is not None:
                meta[target].write(_terminated(side_line))
            else:
                source = RecordMeta(source=f"{source_name}:line {index + 1}").to_dict()
                meta[target].write(orjson.dumps(source) + b"\n")
        if again.hexdigest() != scan.sha256:
            raise InputError(
                f"{scan.path}: changed while splitting", hint="split again once it is stable"
            )
    for name, out in outputs.items():
        records, sidecar = writers[name]
        out.sha256 = records.sha256 or ""
        out.sidecar_sha256 = sidecar.sha256 or ""
    return outputs


def remove_stale(out_dir: Path, outputs: dict[str, Output]) -> list[str]:
    """Delete split files a previous split wrote that this one did not (listed in split.json)."""
    previous = out_dir / "split.json"
    try:
        listed = orjson.loads(previous.read_bytes()).get("files", {})
    except (OSError, orjson.JSONDecodeError, AttributeError):
        return []
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
