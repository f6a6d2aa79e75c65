"""``convert`` over partitions: each input file (or set of files read together) of a source
is converted by a worker into part files beside the output, and the parts are appended to the
output, sidecar and rejects in input order, so the files and the summary are a single run's.

A partition runs exactly the row work of one process (:mod:`.rowwork`) with the same plan and
mapping (each worker prepares them from the options), so records, sidecar lines, rejects,
notices and counts are the same bytes in the same order.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.config import Settings
from fineprep.core.errors import InputError
from fineprep.core.model import RecordMeta
from fineprep.engines.base import Engine, EngineOptions
from fineprep.io.aws import AwsOptions
from fineprep.io.remote import is_remote
from fineprep.stages.convert.options import ConvertOptions
from fineprep.stages.convert.output import meta_line, reject_line
from fineprep.stages.convert.result import SHOWN, ConvertResult
from fineprep.stages.convert.row_groups import RowSlice, parquet_slices
from fineprep.stages.convert.rowwork import Job, convert_item, prepare, reader_options
from fineprep.stages.convert.sources.base import SourceReject
from fineprep.stages.convert.sources.detect import SETS, Plan, iter_items, load_readers

_LINE = orjson.OPT_APPEND_NEWLINE
#: Write buffer of a part's records and sidecar (two writes a row; 8 KB would flush often).
_BUFFER = 1 << 20


@dataclass(frozen=True)
class ConvertTask:
    opts: ConvertOptions
    target: str
    settings: Settings
    unit: tuple[str, list[str]]
    rows: RowSlice | None
    failed: dict[str, list[str]]
    folder: str
    #: The source's kinds (in input order) and how its S3 inputs are read, from its plan.
    kinds: tuple[str, ...] = ()
    aws: AwsOptions | None = None
    #: Why the unit's inputs that cannot be read were refused (a failed unit is one reject).
    unit_failed: dict[str, InputError] = field(default_factory=dict)


@dataclass
class ConvertPart:
    """One unit's output: part files (removed once appended) and its share of the result."""

    records_path: str
    meta_path: str
    rejects_path: str
    records: int = 0
    rejected: int = 0
    last_reason: str = ""
    result: ConvertResult = field(default_factory=lambda: ConvertResult(target=""))
    notices: list[str] = field(default_factory=list)
    #: A reject standing for unreadable files: its message and hint (for a lone input).
    failure: tuple[str, str | None] | None = None
    failure_rows: int = 0


class _PartSink:
    """Outputs' look-alike writing one unit's lines to its part files."""

    def __init__(self, part: ConvertPart) -> None:
        self.part = part
        self.rejected = 0
        self.last_reason = ""
        self._out: IO[bytes] = Path(part.records_path).open("wb", buffering=_BUFFER)  # noqa: SIM115
        self._meta: IO[bytes] = Path(part.meta_path).open("wb", buffering=_BUFFER)  # noqa: SIM115
        self._rej: IO[bytes] = Path(part.rejects_path).open("wb")  # noqa: SIM115

    def write(self, record: dict[str, Any], meta: RecordMeta, line: bytes | None = None) -> None:
        self.write_lines(
            line if line is not None else jsonexact.dumps(record, option=_LINE), meta_line(meta)
        )

    def write_lines(self, line: bytes, meta: bytes) -> None:
        self._out.write(line)
        self._meta.write(meta)
        self.part.records += 1

    def reject(self, source: str, reason: str, raw: str | None) -> None:
        self._rej.write(reject_line(source, reason, raw))
        self.rejected += 1
        self.last_reason = reason

    def close(self) -> None:
        for fh in (self._out, self._meta, self._rej):
            fh.close()


#: A partition of a source: its kind, its files, and for a slice of one Parquet file the slice.
Unit = tuple[str, list[str], RowSlice | None]


def units(job: Job, options: EngineOptions, workers: int) -> list[Unit]:
    """What partitions of a source: each file (a big Parquet file, runs of its row groups),
    a set read together as one."""
    out: list[Unit] = []
    for kind, paths in job.plan.groups:
        if not kind or kind in SETS:
            out.append((kind, paths, None))
            continue
        for path in paths:
            slices = None
            if kind == "parquet" and not is_remote(path):
                slices = parquet_slices(path, max(workers, 1), options.partition_bytes)
            if slices is None:
                out.append((kind, [path], None))
            else:
                out.extend((kind, [path], piece) for piece in slices)
    return out


def worth_partitioning(job: Job, options: EngineOptions, workers: int) -> bool:
    if not options.parallel or (workers < 2 and options.engine != "dask"):
        return False
    size = 0
    for path in job.plan.files:
        if path in job.plan.sizes:
            size += job.plan.sizes[path]
            continue
        try:
            size += Path(path).stat().st_size
        except OSError:
            continue
    if size < options.min_bytes:
        return False
    return len(units(job, options, workers)) >= 2


def convert_unit(task: ConvertTask) -> ConvertPart:
    """Convert one unit in a worker, into part files in the output's folder."""
    load_readers()  # a fresh worker (Dask) has planned nothing, so registered no reader
    profile = task.settings.model_profile(task.opts.model)
    kinds = Plan(groups=[(kind, []) for kind in task.kinds], aws=task.aws)
    job = prepare(task.opts, task.target, profile, task.settings, planned=kinds)
    names = []
    for suffix in (".records", ".meta", ".rejects"):
        fd, name = tempfile.mkstemp(prefix=".fineprep-part-", suffix=suffix, dir=task.folder)
        os.close(fd)
        names.append(name)
    part = ConvertPart(names[0], names[1], names[2])
    part.result = ConvertResult(target=task.target)
    sink = _PartSink(part)
    try:
        plan = Plan(groups=[task.unit], failed=task.unit_failed, aws=task.aws)
        for item in iter_items(
            plan, _sliced(reader_options(job.opts, part.notices, job.plan.kinds), task.rows)
        ):
            convert_item(item, job, task.failed, sink, part.result)
            if isinstance(item, SourceReject) and item.files and item.error is not None:
                part.failure = (item.error.message, item.error.hint)
                part.failure_rows = part.result.rows
    finally:
        sink.close()
    part.rejected, part.last_reason = sink.rejected, sink.last_reason
    return part


def _sliced(
    options_for: Callable[[str], dict[str, Any]], rows: RowSlice | None
) -> Callable[[str], dict[str, Any]]:
    """The reader's options, with the row groups to read for a slice of a Parquet file."""
    if rows is None:
        return options_for
    return lambda kind: {**options_for(kind), "row_slice": rows}


def run_units(
    engine: Engine, job: Job, target: str, settings: Settings, failed: dict[str, list[str]],
    folder: Path, options: EngineOptions,
) -> Iterator[ConvertPart]:  # fmt: skip
    """The unit results of one source, in input order."""
    kinds = tuple(job.plan.kinds)
    refused = job.plan.failed
    tasks = [
        ConvertTask(job.opts, target, settings, (kind, paths), rows, failed, str(folder), kinds,
                    job.plan.aws, {p: refused[p] for p in paths if p in refused})
        for kind, paths, rows in units(job, options, engine.workers)
    ]  # fmt: skip
    yield from engine.map(convert_unit, tasks)


def add_part(result: ConvertResult, part: ConvertPart) -> None:
    """Add one unit's counts to the run's, as converting its rows here would have."""
    got = part.result
    before = result.rejected
    result.notices.extend(part.notices)
    result.rows += got.rows
    result.failed_files.extend(got.failed_files)
    result.files_failed += got.files_failed
    result.control_chars.update(got.control_chars)
    result.control_row_count += got.control_row_count
    room = SHOWN - len(result.control_rows)
    result.control_rows.extend(got.control_rows[: max(0, room)])
    room = 3 - len(result.first_rejects)
    result.first_rejects.extend(got.first_rejects[: max(0, room)])
    result.rejected = before + part.rejected
