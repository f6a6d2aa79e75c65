"""``fineprep convert``: sources -> mapping -> Bedrock records -> output, sidecar, rejects.

Rows stream from the readers one at a time; each becomes one record (or several chunks for
pre-training) or one line in the rejects file with the reason. Nothing is dropped silently:
when rows are rejected and no ``--rejects`` file was named, ``<out>.rejects.jsonl`` is written
and the summary says so. An input that cannot be read at all (a FAILED Textract job, a CSV in
an encoding that cannot be told) is one reject line naming the file, and the other inputs
still convert, so a folder with three bad files reports all three in one run. Several
``[[convert.sources]]`` write into the one output, each with its own mapping. All files appear
atomically, records last.

Exit codes (``ConvertResult.exit_code``): 0 every row converted; 1 some rows or files rejected,
or the source table failed a table-level expectation (nothing written); 2 nothing converted
(every row rejected, or no rows at all), and configuration or input errors (raised as
:class:`fineprep.core.errors.FineprepError`; a single input that cannot be read raises its
error, as there is nothing else to report).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import Severity
from fineprep.engines.base import EngineHolder, engine_options
from fineprep.io.atomic import refuse_special
from fineprep.io.jsonl import sidecar_path
from fineprep.io.outputs import refuse_remote, same_file, set_manifest_path
from fineprep.io.progress import Progress
from fineprep.io.remote import is_remote
from fineprep.stages.convert.mapping import (
    default_target,
)
from fineprep.stages.convert.options import ConvertOptions, resolve_jobs
from fineprep.stages.convert.output import Outputs, rejects_path
from fineprep.stages.convert.partitions import add_part, run_units, worth_partitioning
from fineprep.stages.convert.result import ConvertResult
from fineprep.stages.convert.rowwork import Job, convert_item, prepare, reader_options
from fineprep.stages.convert.sources.base import SourceReject
from fineprep.stages.convert.sources.detect import iter_items


def convert(
    sources: str | Path | Sequence[str | Path] = (),
    *,
    output: str | Path | None = None,
    to: str | None = None,
    model: str | None = None,
    config: str | Path | None = None,
    isolated: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> ConvertResult:
    """Convert source files to Bedrock JSONL; ``options`` are ConvertOptions fields.

    >>> result = convert("reviews.csv", output="train.jsonl", model="titan-text-express",
    ...                  prompt="Review: {{ Text }}", completion="Score", label="Score")
    ...                                                           # doctest: +SKIP
    >>> result.records, result.rejected, result.exit_code        # doctest: +SKIP
    """
    if settings is None:
        settings = load_settings(config, isolated=isolated)
    items = [sources] if isinstance(sources, (str, Path)) else list(sources)
    overrides = {
        "inputs": [str(s) for s in items],
        "output": None if output is None else str(output),
        "to": to,
        "model": model,
        **options,
    }
    base = settings.config_path.parent if settings.config_path else None
    table = settings.sections.get("convert")
    jobs = resolve_jobs(table, overrides, top_model=settings.model, base=base)
    notices = []
    if items and isinstance(table, dict) and table.get("sources"):
        notices.append("inputs given, so the config's [[convert.sources]] are not used")
    return run(jobs, settings, progress or Progress(enabled=False), notices)


def run(
    jobs: ConvertOptions | list[ConvertOptions],
    settings: Settings,
    progress: Progress,
    notices: list[str] | None = None,
) -> ConvertResult:
    """Convert with resolved options, one set per source (the CLI and the API both end here)."""
    started = time.monotonic()
    jobs = [jobs] if isinstance(jobs, ConvertOptions) else jobs
    first = jobs[0]
    output = _output_path(jobs)
    profile = settings.model_profile(first.model)
    target = first.to or default_target(profile)
    prepared = [prepare(opts, target, profile, settings) for opts in jobs]
    result = ConvertResult(target=target, model=profile.key if profile else None)
    result.notices.extend(notices or [])
    failed: dict[str, list[str]] = {}
    for job in prepared:
        if job.opts.expectations:
            failed.update(_expectations(job, settings, result))
            if result.expectations_failed:
                result.seconds = time.monotonic() - started
                return result
    explicit_rejects = first.rejects is not None
    rejects = Path(first.rejects) if first.rejects else rejects_path(output)
    written = (output, sidecar_path(output), set_manifest_path(output))
    if any(same_file(rejects, p) for p in written):
        raise ConfigError(
            f"--rejects {rejects}: would overwrite the output, its sidecar or its set manifest",
            hint="choose another rejects path",
        )
    read = [path for job in prepared for path in (*job.opts.inputs, *job.plan.files)]
    _refuse_reading_outputs(output, rejects, read)
    for special in (*written, rejects):  # a folder in the way fails now, before any writing
        refuse_special(Path(special))
    outputs = Outputs(output, rejects)
    part_dirs: list[Path] = []
    lone_failure: SourceReject | None = None
    lone_error: tuple[str, str | None] | None = None
    engines = EngineHolder(engine_options(settings.sections.get("engine")))
    try:
        for job in prepared:
            result.files += len(job.plan.files)
            for skipped in job.plan.skipped:
                result.notices.append(f"{skipped}: skipped, not an input file this reads")
            if worth_partitioning(job, engines.options, engines.workers):
                if not part_dirs:  # one folder of part files for the run, removed however it ends
                    part_dirs.append(Path(mkdtemp(prefix=".fineprep-parts-", dir=output.parent)))
                folder = part_dirs[0].resolve()
                engine = engines.get()
                parts = run_units(engine, job, target, settings, failed, folder, engines.options)
                for part in parts:
                    files = (part.records_path, part.meta_path, part.rejects_path)
                    outputs.append_part(*files, (part.records, part.rejected), part.last_reason)
                    if part.failure is not None and part.failure_rows == 1:
                        lone_error = part.failure if result.rows == 0 else None
                    add_part(result, part)
                    progress.update(result.rows, result.rejected)
                continue
            for item in iter_items(
                job.plan, reader_options(job.opts, result.notices, job.plan.kinds)
            ):
                convert_item(item, job, failed, outputs, result)
                if isinstance(item, SourceReject) and item.files:
                    lone_failure = item if result.rows == 1 else None
                progress.update(result.rows, result.rejected)
        result.records = outputs.records
        if lone_failure is not None and result.rows == 1 and lone_failure.error is not None:
            raise lone_failure.error  # a single input that cannot be read: its error, exit 2
        if lone_error is not None and result.rows == 1:
            raise InputError(lone_error[0], hint=lone_error[1])
        outputs.commit(keep_records=outputs.records > 0)
    except BaseException:
        outputs.discard()
        raise
    finally:
        engines.close()
        progress.close()
        for folder in part_dirs:
            shutil.rmtree(folder, ignore_errors=True)
    _finish(result, outputs, rejects, explicit_rejects, [j.opts for j in prepared])
    result.seconds = time.monotonic() - started
    return result


def _finish(
    result: ConvertResult,
    outputs: Outputs,
    rejects: Path,
    explicit_rejects: bool,
    jobs: list[ConvertOptions],
) -> None:
    result.rejects = rejects if outputs.rejected else None
    result.rejects_defaulted = bool(outputs.rejected) and not explicit_rejects
    if outputs.records:
        result.output, result.sidecar = outputs.output, outputs.sidecar
    elif result.files_failed and result.files_failed == result.files:
        result.stopped = (
            f"nothing converted: all {result.files:,} input files failed (reasons in {rejects})"
        )
    else:
        inputs = ", ".join(i for job in jobs for i in job.inputs)
        result.stopped = (
            f"nothing converted: all {result.rows:,} rows were rejected (reasons in {rejects})"
            if result.rows
            else f"nothing converted: no rows in {inputs}"
        )
    # Files an earlier run left at these paths would describe that run, not this one.
    stale = [] if outputs.records else [outputs.output, outputs.sidecar]
    if not outputs.rejected:
        stale.append(rejects)
    for path in stale:
        if path.is_file():
            path.unlink()
            result.notices.append(f"removed {path} left by an earlier run")


def _expectations(job: Job, settings: Settings, result: ConvertResult) -> dict[str, list[str]]:
    """Validate the source first; the rows to reject (G001 as an error), or a stop."""
    from fineprep.stages.check.rules.outside import G001
    from fineprep.stages.convert.expectations import validate_source

    opts = job.opts
    assert opts.expectations is not None
    severity = settings.severity.get("G001", G001.severity)
    outcome = validate_source(
        iter_items(job.plan, reader_options(opts, [], job.plan.kinds)),
        opts.expectations,
        parameters={"labels": settings.labels} if settings.labels else {},
        severity=severity,
        empty_is_null=all(kind == "csv" for kind, _ in job.plan.groups),
        chunk_rows=opts.expectations_chunk_rows,
    )
    result.findings.extend(outcome.findings)
    if severity is not Severity.ERROR:  # downgraded in config: report, convert anyway
        return {}
    if outcome.table_failed:
        result.expectations_failed = True
        result.rows = outcome.rows
        result.stopped = f"the source table failed expectations in {opts.expectations}; "
        result.stopped += "nothing written"
    return outcome.failed_rows


def _output_path(jobs: list[ConvertOptions]) -> Path:
    for opts in jobs:
        if not opts.inputs:
            raise ConfigError(
                "no sources to convert", hint="give SOURCE... or inputs = [...] in config"
            )
    opts = jobs[0]
    if not opts.output:
        raise ConfigError("no output file", hint="give -o OUT.jsonl or output = ... in config")
    refuse_remote(opts.output, "[convert] output")
    out = Path(opts.output)
    if not out.name.endswith(".jsonl"):
        raise ConfigError(f"{out}: the output must be a .jsonl file (Bedrock reads JSON Lines)")
    sources = [i for job in jobs for i in job.inputs]
    _refuse_reading_outputs(out, None, sources)
    return out


def _refuse_reading_outputs(out: Path, rejects: Path | None, sources: list[str]) -> None:
    """A :class:`ConfigError` when a file this run writes is one it reads: an input named on
    the command line, or a file of an input folder (an earlier run's output written into the
    folder it converted would be read back as input and then overwritten)."""
    written = [(f"-o {out}", out), (f"-o {out}: its sidecar", sidecar_path(out))]
    written.append((f"-o {out}: its set manifest", set_manifest_path(out)))
    if rejects is not None:
        written.append(("--rejects", rejects))
    local = [s for s in sources if s and s != "-" and not is_remote(s)]
    for role, path in written:
        for source in local:
            if same_file(path, source):
                what = role if path == out else f"{role} {path}"
                raise ConfigError(
                    f"{what} is the input {source}; writing it would overwrite the source",
                    hint="write the output outside the input folders, or choose another path",
                )
