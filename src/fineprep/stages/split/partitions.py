"""The split's scan over partitions: each worker scans a byte range of the dataset (and its
sidecar from the matching line) and returns what the scan keeps per record; the partitions
are added in file order, so units, labels, identities and the first error are a single
scan's. The file's SHA-256 is computed here, in order, while the workers scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import InputError
from fineprep.core.profiles import ModelProfile
from fineprep.engines.base import EngineHolder, EngineOptions, engine_options
from fineprep.engines.partitions import ByteRange, jsonl_ranges, line_offsets, read_range
from fineprep.formats import detect
from fineprep.io.jsonl import BOM, SIDECAR_HINT, existing_sidecar, pair_with_sidecar, strip_line
from fineprep.io.outputs import file_sha256
from fineprep.io.remote import open_remote
from fineprep.io.staging import RemoteOrigin
from fineprep.stages.split.identity import Identities
from fineprep.stages.split.scan import Labeller, Scan, ScanReader, scan


@dataclass(frozen=True)
class ScanTask:
    path: str
    part: ByteRange
    sidecar: str | None
    sidecar_at: int | None
    last: bool
    stratify: str | None
    group: str | None
    fmt: str | None
    label_from: str
    profile: ModelProfile | None
    #: D003 options when identities are collected (None: not).
    id_options: dict[str, Any] | None
    #: The file's format when its first detected record lies before this partition.
    known_format: str | None
    #: Read the partition from S3 instead (a cluster's worker has no access to the copy).
    origin: RemoteOrigin | None = None


@dataclass
class ScanPart:
    scan: Scan
    error: tuple[str, str | None] | None = None
    identities: Identities | None = None
    index: dict[bytes, int] = field(default_factory=dict)


def scan_dataset(
    path: str,
    settings_engine: dict[str, Any] | None,
    *,
    stratify: str | None,
    group: str | None,
    fmt: str | None,
    label_from: str,
    profile: ModelProfile | None,
    identities: Identities | None,
    origin: RemoteOrigin | None = None,
) -> Scan:
    """:func:`~fineprep.stages.split.scan.scan`, in partitions when the dataset is big enough
    and the engine has workers for them. ``path`` is local; ``origin``: the S3 object it is a
    copy of, which the Dask engine's workers read their partitions from."""
    options = engine_options(settings_engine)
    holder = EngineHolder(options)
    try:
        ranges = _ranges(path, options, holder)
        known = _first_format(path, ranges[0].end) if ranges is not None else None
        if ranges is None or (known is None and fmt is None):
            return scan(path, stratify=stratify, group=group, fmt=fmt, label_from=label_from,
                        profile=profile, identities=identities)  # fmt: skip
        sidecar = existing_sidecar(path)
        offsets = (
            line_offsets(str(sidecar), [r.first_line for r in ranges])
            if sidecar is not None
            else [None] * len(ranges)
        )
        id_options = identities.options if identities is not None else None
        remote = origin if options.engine == "dask" else None
        tasks = [
            ScanTask(path, r, str(sidecar) if sidecar else None, at, k == len(ranges) - 1,
                     stratify, group, fmt, label_from, profile, id_options,
                     None if k == 0 else (known[0] if known and known[1] < r.first_line else None),
                     remote)
            for k, (r, at) in enumerate(zip(ranges, offsets, strict=True))
        ]  # fmt: skip
        if sidecar is None and (group is not None or (stratify not in (None, "label"))):
            # The single scan says what is missing.
            return scan(path, stratify=stratify, group=group, fmt=fmt, label_from=label_from,
                        profile=profile, identities=identities)  # fmt: skip
        parts = holder.get().map(scan_partition, tasks)
        result = Scan(path, sidecar, identities=identities)
        result.sha256 = file_sha256(path)
        index: dict[bytes, int] = {}
        for part in parts:
            if part.error is not None:
                raise InputError(part.error[0], hint=part.error[1])
            _add(result, index, part, identities)
        return result
    finally:
        holder.close()


def _ranges(path: str, options: EngineOptions, holder: EngineHolder) -> list[ByteRange] | None:
    if not options.parallel or path == "-":
        return None
    try:
        file = Path(path)
        if not file.is_file():
            return None
        size = file.stat().st_size
        if size < options.min_bytes:
            return None
        workers = holder.workers
        if workers < 2 and options.engine != "dask":
            return None
        ranges = jsonl_ranges(holder.get(), path, size, None, workers, options.partition_bytes)
    except OSError:
        return None
    return ranges if len(ranges) > 1 else None


def _first_format(path: str, limit: int) -> tuple[str, int] | None:
    """The format of the file's first record with one, and its line, if within ``limit``
    bytes of clean lines (else the scan runs in one pass)."""
    seen = 0
    with Path(path).open("rb") as stream:
        for line_no, physical in enumerate(stream, 1):
            seen += len(physical)
            if seen > limit:
                return None
            raw = strip_line(physical)
            if line_no == 1:
                raw = raw.removeprefix(BOM)
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
            if isinstance(obj, dict):
                found = detect(obj)
                if found is not None:
                    return found, line_no
    return None


def _lines(task: ScanTask) -> Iterator[tuple[int, bytes, bytes | None]]:
    """Like ``with_sidecar`` for one partition: the sidecar from the partition's first line,
    and its surplus checked only after the last partition."""
    origin = task.origin
    if origin is not None:
        data: Iterator[bytes] = _remote_range(origin, task.part)
    else:
        data = read_range(task.path, task.part)
    first = task.part.first_line
    if task.sidecar is None:
        yield from pair_with_sidecar(data, None, None, first_line=first)
        return
    if task.sidecar_at is None:
        raise InputError(
            f"{task.sidecar}: has fewer lines than the dataset (no line {first})",
            hint=SIDECAR_HINT,
        )
    if origin is not None and origin.sidecar is not None:
        meta_stream = open_remote(
            origin.sidecar, origin.aws, task.sidecar_at, etag=origin.sidecar_etag
        )
    else:
        meta_stream = Path(task.sidecar).open("rb")  # noqa: SIM115 (closed below)
        meta_stream.seek(task.sidecar_at)
    with meta_stream:
        yield from pair_with_sidecar(
            data, meta_stream, task.sidecar, first_line=first, last=task.last
        )


def _remote_range(origin: RemoteOrigin, part: ByteRange) -> Iterator[bytes]:
    """A partition's lines from the S3 object, only if it is still the version planned."""
    if part.size <= 0:
        return
    with open_remote(origin.uri, origin.aws, part.start, part.end, etag=origin.etag) as stream:
        yield from stream


def scan_partition(task: ScanTask) -> ScanPart:
    """One partition's scan, in a worker; an input error comes back as a value."""
    identities = None
    if task.id_options is not None:
        identities = Identities(task.id_options, task.fmt, task.profile)
        identities.format = task.known_format
    sidecar = Path(task.sidecar) if task.sidecar else None
    result = Scan(task.path, sidecar, identities=identities)
    labeller = Labeller(task.stratify, task.fmt, task.label_from, task.profile)
    if task.fmt is None and task.known_format is not None and task.stratify == "label":
        labeller.format = task.known_format
    reader = ScanReader(result, labeller, task.group)
    try:
        for line_no, physical, meta_raw in _lines(task):
            reader.add(line_no, physical, meta_raw)
    except InputError as exc:
        return ScanPart(result, (exc.message, exc.hint))
    if identities is not None:
        identities.finish()
        identities.compact()
    result.format = labeller.format
    result.identities = None
    return ScanPart(result, None, identities, reader.index)


def _add(into: Scan, index: dict[bytes, int], part: ScanPart, ids: Identities | None) -> None:
    """Append one partition's scan to the file's: units renumbered in first-seen order."""
    got = part.scan
    local = [index.setdefault(key, len(index)) for key in got.unit_keys]
    for key, size, unit in zip(got.unit_keys, got.unit_sizes, local, strict=True):
        if unit == len(into.unit_keys):
            into.unit_keys.append(key)
            into.unit_sizes.append(0)
        into.unit_sizes[unit] += size
    into.unit_of.extend(local[u] for u in got.unit_of)
    offset = into.records
    into.augmented.extend((offset + i, origin, how) for i, origin, how in got.augmented)
    into.labels.extend(got.labels)
    into.records += got.records
    into.grouped_records += got.grouped_records
    into.bom = into.bom or got.bom
    into.format = into.format or got.format
    if ids is not None and part.identities is not None:
        theirs, mine = part.identities.state, ids.state
        mine.lines.extend(offset + n for n in theirs.lines)
        for name in ("full", "context", "salt"):
            getattr(mine, name).extend(getattr(theirs, name))
        mine.sigs.extend(theirs.sigs)
        mine.empty.extend(theirs.empty)
        ids.compared.extend(part.identities.compared)
        ids.format = ids.format or part.identities.format
