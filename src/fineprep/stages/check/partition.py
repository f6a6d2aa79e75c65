"""``check`` over partitions: one file cut into byte ranges, each checked by a worker, the
results merged so that the findings, their order and every count are a single pass's.

A worker runs the per-record work of its range (parsing, the format's walk, the record checks)
and returns its findings, its part of the file's counts, each check's exported state and the
texts it queued for token counting. The coordinator adds the partitions in file order: it
queues those texts on its own counter (tickets then follow the order of one pass), lets every
check absorb the states, and runs ``finish_file``/``finish`` as one pass would.

A file is cut only when that cannot change the answer: a regular file whose first record, and
the record that fixes its format, lie in the first partition. Its sidecar is read beside each
partition from the offset of the partition's first line (one newline-counting pass finds them).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from fineprep.core.config import Settings
from fineprep.core.model import Finding
from fineprep.engines.base import Engine, EngineHolder, EngineOptions
from fineprep.engines.partitions import (
    ByteRange,
    jsonl_ranges,
    line_offsets,
    open_range,
)
from fineprep.formats import detect, other_customization
from fineprep.io.aws import AwsOptions
from fineprep.io.jsonl import BOM, LineTooLong, bounded_lines, sidecar_path, strip_line
from fineprep.io.remote import input_aws, is_remote, open_source, remote_sidecar, remote_version
from fineprep.stages.check.records import start_file_state, stream_records
from fineprep.stages.check.rules import Check
from fineprep.stages.check.run import new_run
from fineprep.stages.check.state import FileState, RunState
from fineprep.tokens.counter import TokenCounter

if TYPE_CHECKING:
    from fineprep.tokens.workers import Counts


@dataclass(frozen=True)
class Probe:
    """What the start of a file fixes for all its partitions."""

    format: str
    first_record_line: int
    #: A forced format its records are not in (the file's records go unwalked).
    mismatch: bool


@dataclass(frozen=True)
class PartitionTask:
    settings: Settings
    roles: frozenset[str]
    hint: str | None
    path: str
    display: str
    role: str
    part: ByteRange
    has_bom: bool
    probe: Probe
    #: The file's sidecar, where this partition's first line starts in it (None: the sidecar
    #: ended before), and whether this is the file's last partition.
    sidecar: str | None = None
    sidecar_at: int | None = None
    last: bool = True
    aws: AwsOptions | None = None
    #: Where a worker on this machine may leave many findings (None: return them inline).
    spill_dir: str | None = None
    #: The version of an S3 object the ranges were cut from (every read is pinned to it).
    etag: str | None = None


@dataclass(frozen=True)
class Plan:
    """How one file is cut: its ranges, what its start fixes, its sidecar's matching offsets."""

    ranges: list[ByteRange]
    probe: Probe
    has_bom: bool
    sidecar: str | None
    sidecar_at: list[int | None]
    aws: AwsOptions
    etag: str | None = None


@dataclass
class PartitionResult:
    findings: list[Finding]
    file: FileState
    states: list[Any]
    #: Token counts of the records the partition counted, in ticket order.
    deferred: list[Counts]
    #: A file holding the findings instead (many of them, on the same machine).
    findings_file: str | None = None


class _CountedHere(TokenCounter):
    """A worker's counter: it counts in this process (the worker is already one of the
    run's processes, and counting overlaps the other partitions' checks), and the worker
    hands the counts back in ticket order."""

    def __init__(self, run: RunState) -> None:
        from fineprep.tokens.source import profile_source

        super().__init__(run.token_source or profile_source(run.profile, run.encoding), run.profile)

    def defer(self, inputs: list[str], outputs: list[str], size: int) -> int:
        if self._deferred is None:
            from fineprep.tokens.workers import DeferredCounts

            self._deferred = DeferredCounts(self.effective, workers=1)
        return super().defer(inputs, outputs, size)

    def counted(self) -> list[Counts]:
        if self._deferred is None:
            return []
        get = self.resolve()
        return [get(ticket) for ticket in range(self.records_tokenized)]


def plan(
    path: str, file: FileState, run: RunState, options: EngineOptions, engines: EngineHolder
) -> Plan | None:
    """The partitions of one file and what its start fixes, or None to check it in one pass."""
    if path == "-" or not options.parallel:
        return None
    aws = input_aws(run.settings.sections.get("upload"))
    remote = is_remote(path)
    etag: str | None = None
    try:
        if remote:
            if remote_sidecar(path, aws) is not None:
                return None  # the sidecar is read beside the object, in one pass
            size, etag = remote_version(path, aws)
        elif Path(path).is_file():
            size = Path(path).stat().st_size
        else:
            return None
        if size < options.min_bytes:
            return None
        workers = engines.workers
        if workers < 2 and options.engine != "dask":
            return None
        with _opened(path, aws, etag, 64) as stream:
            head = stream.read(64)
        has_bom = head.startswith(BOM)
        if (head[3:] if has_bom else head).lstrip().startswith(b"["):
            return None
        cut = options.partition_bytes
        ranges = jsonl_ranges(engines.get(), path, size, aws, workers, cut, etag)
        if len(ranges) < 2:
            return None
        probe = _probe(path, aws, run, has_bom, ranges[0].end, etag)
        if probe is None:
            return None
        meta = None if remote else sidecar_path(path)
        if meta is None or not meta.is_file() or meta == PurePath(path):
            return Plan(ranges, probe, has_bom, None, [None] * len(ranges), aws, etag)
        offsets = line_offsets(str(meta), [r.first_line for r in ranges])
    except OSError:
        return None
    return Plan(ranges, probe, has_bom, str(meta), offsets, aws, etag)


def _opened(path: str, aws: AwsOptions, etag: str | None, limit: int) -> BinaryIO:
    """The start of a file, or of the S3 object's version ``etag`` (its first ``limit``
    bytes: what a probe reads)."""
    if etag is None or not is_remote(path):
        return open_source(path, aws)
    return open_range(path, ByteRange(0, limit, 1), aws, etag)


def _probe(
    path: str, aws: AwsOptions, run: RunState, has_bom: bool, limit: int, etag: str | None = None
) -> Probe | None:
    """The file's format and first record, read as the engine reads them, if both are
    decided within ``limit`` bytes by lines that parse (anything unusual: one pass)."""
    forced = run.settings.format
    first: int | None = None
    seen = 0
    with _opened(path, aws, etag, limit) as stream:
        for line_no, physical in enumerate(bounded_lines(stream, limit), 1):
            if isinstance(physical, LineTooLong):
                return None
            seen += len(physical)
            if seen > limit:
                return None
            raw = strip_line(physical)
            if line_no == 1 and has_bom:
                raw = raw[3:]
            if not raw or raw.isspace():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
            if type(obj) is not dict:
                continue
            if first is None:
                first = line_no
            if forced:
                other = other_customization(obj, detect(obj), forced)
                return Probe(forced, first, other and run.is_enabled("S002"))
            found = detect(obj, run.profile.formats if run.profile is not None else ())
            if found is not None:
                return Probe(found, first, False)
    return None


def check_partition(task: PartitionTask) -> PartitionResult:
    """One partition's per-record work, in a worker (or here)."""
    run, checks = new_run(task.settings, task.roles, task.hint)
    run.findings.clear()  # run-level findings of ``start`` are the coordinator's
    run.partition = True
    counter = _CountedHere(run)
    run._tokens = counter
    file = FileState(path=task.display, role=task.role)
    if task.settings.format:
        file.forced_format = True
        file.format = task.settings.format
    if task.part.first_line > 1:
        file.format = task.probe.format
        file.first_record_line = task.probe.first_record_line
        file.format_mismatch = task.probe.mismatch
    run.files.append(file)
    for check in checks:
        check.start_file(file)
    run.findings.clear()  # so are the file-level findings of ``start_file``
    has_bom = task.has_bom and task.part.start == 0
    sidecar: tuple[BinaryIO, bool] | None = None
    if task.sidecar is not None:
        file.has_sidecar = True
        if task.sidecar_at is None:
            file.sidecar_short = True  # reported by the partition where it ran out
        else:
            meta = Path(task.sidecar).open("rb")  # noqa: SIM115 (closed by stream_records)
            meta.seek(task.sidecar_at)
            sidecar = (meta, task.last)
    with open_range(task.path, task.part, task.aws, task.etag) as lines:
        start = task.part.first_line
        stream_records(lines, task.path, file, run, checks, has_bom,
                       first_line=start, whole_file=False, sidecar=sidecar)  # fmt: skip
    states = [check.export_partition() for check in checks]
    if task.spill_dir is not None and len(run.findings) > _INLINE_FINDINGS:
        # Many findings: handed over in a file (the worker's log streams into it), so neither
        # this process nor the coordinator holds them all at once.
        spilled = _write_findings(run.findings, task.spill_dir)
        return PartitionResult([], file, states, counter.counted(), spilled)
    return PartitionResult(list(run.findings), file, states, counter.counted())


#: Findings a partition returns inline; more go through a file in the run's spill folder.
_INLINE_FINDINGS = 10_000


def _write_findings(findings: Iterable[Finding], folder: str) -> str:
    fd, name = tempfile.mkstemp(prefix="part-", suffix=".findings", dir=folder)
    with os.fdopen(fd, "wb") as out:
        batch: list[Finding] = []
        for finding in findings:
            batch.append(finding)
            if len(batch) >= 4096:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
        if batch:
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
    return name


def _read_findings(name: str) -> Iterator[Finding]:
    try:
        with Path(name).open("rb") as stream:
            while True:
                try:
                    batch: list[Finding] = pickle.load(stream)
                except EOFError:
                    return
                yield from batch
    finally:
        Path(name).unlink(missing_ok=True)


def check_partitioned(
    engine: Engine,
    path: str,
    file: FileState,
    run: RunState,
    checks: Sequence[Check],
    planned: Plan,
    hint: str | None,
) -> None:
    """Check one file through ``engine`` and merge its partitions into ``run``."""
    has_bom, last = planned.has_bom, len(planned.ranges) - 1
    # Workers on this machine hand many findings over in files; a cluster's return them.
    spill = tempfile.mkdtemp(prefix="fineprep-parts-") if engine.name != "dask" else None
    tasks = [
        PartitionTask(
            run.settings,
            run.planned_roles,
            hint,
            path,
            file.path,
            file.role,
            r,
            has_bom,
            planned.probe,
            planned.sidecar,
            at,
            k == last,
            planned.aws,
            spill,
            planned.etag,
        )
        for k, (r, at) in enumerate(zip(planned.ranges, planned.sidecar_at, strict=True))
    ]
    try:
        _merge(engine.map(check_partition, tasks), file, run, checks, has_bom, len(tasks))
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def _merge(
    results: Iterator[PartitionResult],
    file: FileState,
    run: RunState,
    checks: Sequence[Check],
    has_bom: bool,
    count: int,
) -> None:
    start_file_state(file, run, has_bom)
    for check in checks:
        check.start_file(file)
    waited = merged = 0.0
    clock = time.perf_counter()
    for result in results:
        now = time.perf_counter()
        waited += now - clock
        clock = now
        run.findings.extend(result.findings)
        if result.findings_file is not None:
            run.findings.extend(_read_findings(result.findings_file))
        merge_file(file, result.file)
        tickets = [run.tokens.add_counted(counts) for counts in result.deferred]
        for check, state in zip(checks, result.states, strict=True):
            check.absorb_partition(state, tickets)
        now = time.perf_counter()
        merged += now - clock
        clock = now
    for check in checks:
        check.finish_file(file)
    # What the scaling benchmark reads (not part of any report): partitions, and the seconds
    # spent waiting for them, absorbing their states and judging the merged file.
    stats = run.stats.setdefault("engine", {"partitions": 0, "wait": 0.0, "merge": 0.0})
    stats["partitions"] += count
    stats["wait"] += waited
    stats["merge"] += merged
    stats["finish_file"] = stats.get("finish_file", 0.0) + time.perf_counter() - clock


def merge_file(into: FileState, part: FileState) -> None:
    """Add one partition's counts of a file to the file's."""
    if into.format is None:
        into.format = part.format
    if into.first_record_line is None:
        into.first_record_line = part.first_record_line
    into.format_mismatch = into.format_mismatch or part.format_mismatch
    into.has_sidecar = into.has_sidecar or part.has_sidecar
    into.sidecar_short = into.sidecar_short or part.sidecar_short
    into.records += part.records
    into.lines = max(into.lines, part.lines)
    into.bytes += part.bytes
    into.dropped |= part.dropped
    for strategy, n in part.augmented.items():
        into.augmented[strategy] = into.augmented.get(strategy, 0) + n
