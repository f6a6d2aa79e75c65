"""The other records a finding is about, and the source row of every record a finding names.

Dataset checks keep only line numbers (that is what keeps their state small), so a duplicate's
finding knows the line of its first copy but not where that copy came from. After the run, this
module turns the line numbers in a finding's data (``first_line`` in the same file,
``train_path``/``train_line`` for a leak) into related locations, and reads each sidecar once,
keeping only the lines some finding names, to give every such location -- and every finding
emitted without one -- its source row (``deeds.csv:row 17``). A labeller then sees the row to
open for each record involved, not only for the one the finding is pinned on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import Finding, Location, RecordMeta
from fineprep.io.jsonl import MAX_LINE_BYTES, sidecar_path
from fineprep.stages.check.findings import FindingLog
from fineprep.stages.check.records import FAST_AFTER
from fineprep.stages.check.state import FileState


def related_of(f: Finding) -> list[Location]:
    """The records a finding's data names besides its own (by the rules' data keys)."""
    data = f.data
    out: list[Location] = []
    first = data.get("first_line")
    if type(first) is int and f.location.path:
        out.append(Location(f.location.path, first))
    path, line = data.get("train_path"), data.get("train_line")
    if isinstance(path, str) and type(line) is int:
        out.append(Location(path, line))
    return out


def attach_related(findings: FindingLog, files: Iterable[FileState]) -> FindingLog:
    """The findings with their related locations and every location its sidecar's source row.

    Two passes over the log (it may live on disk, so findings are rebuilt, not edited in
    place): the first collects the sidecar lines some finding names, the second fills them."""
    with_sidecar = {file.path for file in files if file.has_sidecar}
    wanted: dict[str, set[int]] = defaultdict(set)
    relating = False
    for f in findings:
        related = f.related or related_of(f)
        relating = relating or bool(related)
        for loc in (f.location, *related):
            if loc.source is None and loc.line is not None and loc.path in with_sidecar:
                wanted[loc.path].add(loc.line)
    if not wanted and not relating:
        return findings
    sources = {path: _sources(path, lines) for path, lines in wanted.items()}
    no_rows: dict[int, str] = {}

    def fill(loc: Location) -> Location:
        if loc.source is not None or loc.line is None:
            return loc
        found = sources.get(loc.path, no_rows).get(loc.line)
        return loc if found is None else Location(loc.path, loc.line, loc.json_path, found)

    out = FindingLog()
    for f in findings:
        related = f.related or related_of(f)
        here = f.location
        if not related and (here.source is not None or here.line is None):
            out.append(f)  # the common finding: already has its source row (or no line)
            continue
        location = fill(here)
        filled = [fill(r) for r in related]
        same_related = not related or (
            related is f.related and all(a is b for a, b in zip(filled, related, strict=True))
        )
        if location is f.location and same_related:
            out.append(f)  # most findings: nothing to add, so no copy
        else:
            out.append(Finding(f.code, f.name, f.severity, f.message, location, f.data, filled))
    return out


def _sources(path: str, lines: set[int]) -> dict[int, str]:
    """The ``source`` of the wanted lines of a data file's sidecar (each object dropped once
    its source is taken: a run with a finding on every record holds strings, not objects)."""
    out: dict[int, str] = {}
    # Many lines (a duplicate finding on every other record): the typed decoder the check
    # read the sidecar with reads a plain line at parse speed; anything else is parsed whole.
    fast: Callable[[bytes], RecordMeta | None] | None = None
    if len(lines) > FAST_AFTER:
        from fineprep.formats.fast import sidecar as fast  # msgspec: imported only then
    for number, raw in _wanted_lines(sidecar_path(path), lines):
        plain = fast(raw) if fast is not None else None
        if plain is not None:
            if plain.source is not None:
                out[number] = plain.source
            continue
        meta = _object(raw)
        source = None if meta is None else meta.get("source")
        if source is not None:
            out[number] = source if isinstance(source, str) else str(source)
    return out


def sidecar_lines(path: Path, lines: set[int]) -> dict[int, dict[str, Any]]:
    """The wanted lines of a sidecar as objects (one pass; stops after the last wanted line;
    a line that is not a JSON object is left out, as is a missing sidecar)."""
    return dict(sidecar_objects(path, lines))


def sidecar_objects(path: Path, lines: set[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`sidecar_lines`, one at a time in line order."""
    for number, raw in _wanted_lines(path, lines):
        meta = _object(raw)
        if meta is not None:
            yield number, meta


def _wanted_lines(path: Path, lines: set[int]) -> Iterator[tuple[int, bytes]]:
    """The wanted lines of a sidecar, raw (none when it cannot be opened)."""
    if not lines:
        return
    try:
        stream = path.open("rb")
    except OSError:
        return
    with stream:
        yield from picked_lines(stream, sorted(lines))


def _object(raw: bytes) -> dict[str, Any] | None:
    try:
        meta = jsonexact.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return meta if isinstance(meta, dict) else None


#: Bytes read at a time by :func:`picked_lines`.
_BLOCK = 1 << 20


def picked_lines(
    stream: BinaryIO, wanted: list[int], max_bytes: int = MAX_LINE_BYTES, block_size: int = _BLOCK
) -> Iterator[tuple[int, bytes]]:
    """The lines numbered ``wanted`` (1-based, ascending) of ``stream``, without their
    newline. Blocks are counted and split in C, so a sidecar of millions of lines costs one
    pass at C speed rather than a Python step per line; a line longer than
    ``max_bytes`` is passed over (never held), as are the lines after the last wanted one."""
    targets = iter(wanted)
    target = next(targets, None)
    base = 0  # complete lines before ``carry``
    carry = b""
    skipping = False  # inside a line longer than max_bytes: dropped up to its newline
    while target is not None:
        block = stream.read(block_size)
        if not block:
            if carry and not skipping and target == base + 1 and len(carry) <= max_bytes + 1:
                yield target, carry
            return
        newlines = block.count(b"\n")
        if skipping:
            if not newlines:
                continue
            cut = block.index(b"\n") + 1
            base, block, newlines, skipping = base + 1, block[cut:], newlines - 1, False
        data = carry + block if carry else block
        if target <= base + newlines:
            pieces = data.split(b"\n")
            while target is not None and target <= base + newlines:
                line = pieces[target - base - 1]
                if len(line) <= max_bytes + 1:
                    yield target, line
                target = next(targets, None)
            carry = pieces[-1]
        else:
            carry = data[data.rfind(b"\n") + 1 :] if newlines else data
        base += newlines
        if len(carry) > max_bytes + 1:
            carry, skipping = b"", True
            if target == base + 1:
                target = next(targets, None)
