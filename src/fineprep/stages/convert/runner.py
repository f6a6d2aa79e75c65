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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError
from fineprep.core.model import Severity
from fineprep.core.profiles import ModelProfile
from fineprep.io.jsonl import sidecar_path
from fineprep.io.outputs import refuse_overwrite, same_file, set_manifest_path
from fineprep.io.progress import Progress
from fineprep.stages.convert.chunking import Chunker
from fineprep.stages.convert.mapping import (
    TEMPLATE_OPTIONS,
    build_mapping,
    chunk_policy,
    default_target,
)
from fineprep.stages.convert.options import ConvertOptions, resolve_jobs
from fineprep.stages.convert.output import Outputs, rejects_path
from fineprep.stages.convert.result import SHOWN, ConvertResult, located
from fineprep.stages.convert.rows import convert_row, raw
from fineprep.stages.convert.sources.base import SourceItem, SourceReject
from fineprep.stages.convert.sources.chat import CHAT_KINDS
from fineprep.stages.convert.sources.detect import TABULAR, Plan, iter_items, plan
from fineprep.stages.convert.targets import Mapping
from fineprep.stages.convert.values import RowError


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


@dataclass
class _Job:
    opts: ConvertOptions
    plan: Plan
    mapping: Mapping
    chunker: Chunker | None


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
    prepared = [_prepare(opts, target, profile, settings) for opts in jobs]
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
    if any(same_file(rejects, p) for p in (output, sidecar_path(output))):
        raise ConfigError(f"{rejects}: the rejects file would overwrite the output or sidecar")
    refuse_overwrite(rejects, [i for job in prepared for i in job.opts.inputs], "--rejects")
    outputs = Outputs(output, rejects)
    lone_failure: SourceReject | None = None
    try:
        for job in prepared:
            result.files += len(job.plan.files)
            for skipped in job.plan.skipped:
                result.notices.append(f"{skipped}: skipped, not an input file this reads")
            for item in iter_items(job.plan, _reader_options(job.opts, result.notices)):
                _one(item, job, failed, outputs, result)
                if isinstance(item, SourceReject) and item.files:
                    lone_failure = item if result.rows == 1 else None
                progress.update(result.rows, result.rejected)
        result.records = outputs.records
        if lone_failure is not None and result.rows == 1 and lone_failure.error is not None:
            raise lone_failure.error  # a single input that cannot be read: its error, exit 2
        outputs.commit(keep_records=outputs.records > 0)
    except BaseException:
        outputs.discard()
        raise
    finally:
        progress.close()
    _finish(result, outputs, rejects, explicit_rejects, [j.opts for j in prepared])
    result.seconds = time.monotonic() - started
    return result


def _prepare(
    opts: ConvertOptions, target: str, profile: ModelProfile | None, settings: Settings
) -> _Job:
    """Everything a source needs before any row is read: configuration errors come first."""
    templated = any(getattr(opts, o) is not None for o in TEMPLATE_OPTIONS)
    # RFT prompts are built from whole records (supervised ones turned into prompts), not from
    # the turns a chat reader extracts.
    groups = plan(opts.inputs, opts.source, chat=not templated and target != "rft")
    chat = [k for k in groups.kinds if k in CHAT_KINDS]
    if chat and len(chat) != len(groups.kinds):
        others = ", ".join(k for k in groups.kinds if k not in CHAT_KINDS)
        raise ConfigError(
            f"chat files ({', '.join(chat)}) and other inputs ({others}) need different "
            "mappings; convert them separately or as separate [[convert.sources]]"
        )
    mapping = build_mapping(opts, target, profile, chat=bool(chat))
    chunker = Chunker(chunk_policy(opts, profile, settings)) if target == "pretraining" else None
    return _Job(opts, groups, mapping, chunker)


def _one(
    item: SourceItem,
    job: _Job,
    failed: dict[str, list[str]],
    outputs: Outputs,
    result: ConvertResult,
) -> None:
    result.rows += 1
    if isinstance(item, SourceReject):
        outputs.reject(item.source, item.reason, item.raw)
        if item.files:
            result.failed_files.append((item.source, item.reason))
            result.files_failed += len(item.files)
    elif item.source in failed:
        outputs.reject(item.source, "; ".join(failed[item.source]), raw(item))
    else:
        try:
            converted, found = convert_row(
                item, job.mapping, job.chunker, job.opts.control_chars == "strip"
            )
        except RowError as exc:
            outputs.reject(item.source, str(exc), raw(item))
        else:
            for record, meta, line in converted:
                outputs.write(record, meta, line)
            if found:
                result.control_chars.update(found)
                result.control_row_count += 1
                if len(result.control_rows) < SHOWN:
                    result.control_rows.append((item.source, sum(found.values())))
    if result.rejected != outputs.rejected and len(result.first_rejects) < 3:
        result.first_rejects.append(located(item.source, outputs.last_reason))
    result.rejected = outputs.rejected


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


def _expectations(job: _Job, settings: Settings, result: ConvertResult) -> dict[str, list[str]]:
    """Validate the source first; the rows to reject (G001 as an error), or a stop."""
    from fineprep.stages.check.rules.outside import G001
    from fineprep.stages.convert.expectations import validate_source

    opts = job.opts
    assert opts.expectations is not None
    severity = settings.severity.get("G001", G001.severity)
    outcome = validate_source(
        iter_items(job.plan, _reader_options(opts, [])),
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


def _reader_options(opts: ConvertOptions, notices: list[str]) -> Callable[[str], dict[str, Any]]:
    """Each reader gets the user's source options and a list for notices; this package's
    table readers also get the encoding, delimiter, header and sheet options."""

    def options_for(kind: str) -> dict[str, Any]:
        if opts.source_options and kind in _NO_OPTIONS:
            _no_reader_options(kind, sorted(opts.source_options))
        options = {**opts.source_options, "notices": notices}
        if kind in TABULAR:
            options.update(
                encoding=opts.encoding,
                delimiter=opts.delimiter,
                no_header=opts.no_header,
                sheet=opts.sheet,
            )
        return options

    return options_for


#: Source kinds whose readers take no -S options (the document readers refuse the options
#: they do not know themselves; a reader registered by a plugin gets whatever is given).
_NO_OPTIONS = frozenset(
    {"csv", "xlsx", "parquet", "arrow", "json", "jsonl", "openai-chat", "sharegpt", "alpaca"}
)


def _no_reader_options(kind: str, given: list[str]) -> None:
    """Tables and chat files have no reader options: an -S given for them is a mistake (a
    typo, or a command-line option given as -S), never something to ignore."""
    from fineprep.core.errors import did_you_mean

    key = given[0]
    table_options = ["encoding", "delimiter", "no_header", "sheet"]
    close = did_you_mean(key, table_options)
    hint = f"use --{close.split(chr(39))[1].replace('_', '-')}" if close else "remove it"
    raise ConfigError(
        f"-S {key.replace('_', '-')}: the {kind} source has no option {key!r}{close}", hint=hint
    )


def _output_path(jobs: list[ConvertOptions]) -> Path:
    for opts in jobs:
        if not opts.inputs:
            raise ConfigError(
                "no sources to convert", hint="give SOURCE... or inputs = [...] in config"
            )
    opts = jobs[0]
    if not opts.output:
        raise ConfigError("no output file", hint="give -o OUT.jsonl or output = ... in config")
    out = Path(opts.output)
    if not out.name.endswith(".jsonl"):
        raise ConfigError(f"{out}: the output must be a .jsonl file (Bedrock reads JSON Lines)")
    sources = [i for job in jobs for i in job.inputs]
    for written in (out, sidecar_path(out), set_manifest_path(out)):
        refuse_overwrite(written, sources)
    return out
