"""``fineprep convert``: sources -> mapping -> Bedrock records -> output, sidecar, rejects.

Rows stream from the readers one at a time; each becomes one record (or several chunks for
pre-training) or one line in the rejects file with the reason. Nothing is dropped silently:
when rows are rejected and no ``--rejects`` file was named, ``<out>.rejects.jsonl`` is written
and the summary says so. All files appear atomically, records last.

Exit codes (``ConvertResult.exit_code``): 0 every row converted; 1 some rows rejected, or the
source table failed a table-level expectation (nothing written); 2 nothing converted (every
row rejected, or no rows at all), and configuration or input errors (raised as
:class:`fineprep.core.errors.FineprepError`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError
from fineprep.core.model import RecordMeta, Severity
from fineprep.io.jsonl import sidecar_path
from fineprep.io.progress import Progress
from fineprep.stages.convert.chunking import Chunker
from fineprep.stages.convert.mapping import build_mapping, chunk_policy, default_target
from fineprep.stages.convert.options import ConvertOptions, resolve_options
from fineprep.stages.convert.output import Outputs, rejects_path
from fineprep.stages.convert.result import ConvertResult
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.sources.detect import TABULAR, iter_items, plan
from fineprep.stages.convert.targets import Mapping, build_record, input_text, row_meta
from fineprep.stages.convert.templates import RowError

_META_KEYS = frozenset({"id", "label", "group", "source"})


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
    opts = resolve_options(
        settings.sections.get("convert"), overrides, top_model=settings.model, base=base
    )
    return run(opts, settings, progress or Progress(enabled=False))


def run(opts: ConvertOptions, settings: Settings, progress: Progress) -> ConvertResult:
    """Convert with resolved options (the CLI and the API both end here)."""
    started = time.monotonic()
    output = _output_path(opts)
    profile = settings.model_profile(opts.model)
    target = opts.to or default_target(profile)
    mapping = build_mapping(opts, target, profile)
    chunker = Chunker(chunk_policy(opts, profile, settings)) if target == "pretraining" else None
    groups = plan(opts.inputs, opts.source)
    result = ConvertResult(target=target, model=profile.key if profile else None)
    failed: dict[str, list[str]] = {}
    if opts.expectations:
        failed = _expectations(opts, groups, settings, result)
        if result.expectations_failed:
            result.seconds = time.monotonic() - started
            return result
    explicit_rejects = opts.rejects is not None
    rejects = Path(opts.rejects) if opts.rejects else rejects_path(output)
    if rejects.resolve() in (output.resolve(), sidecar_path(output).resolve()):
        raise ConfigError(f"{rejects}: the rejects file would overwrite the output or sidecar")
    outputs = Outputs(output, rejects, always_rejects=explicit_rejects)
    try:
        for item in iter_items(groups, _reader_options(opts, result.notices)):
            result.rows += 1
            if not isinstance(item, SourceRow):
                outputs.reject(item.source, item.reason, item.raw)
            elif item.source in failed:
                outputs.reject(item.source, "; ".join(failed[item.source]), _raw(item))
            else:
                try:
                    converted = _convert_row(item, mapping, chunker)
                except RowError as exc:
                    outputs.reject(item.source, str(exc), _raw(item))
                else:
                    for record, meta in converted:
                        outputs.write(record, meta)
            if result.rejected != outputs.rejected and len(result.first_rejects) < 3:
                result.first_rejects.append(f"{item.source}: {outputs.last_reason}")
            result.rejected = outputs.rejected
            progress.update(result.rows, result.rejected)
        result.records = outputs.records
        outputs.commit(keep_records=outputs.records > 0)
    except BaseException:
        outputs.discard()
        raise
    finally:
        progress.close()
    result.rejects = rejects if outputs.rejected or explicit_rejects else None
    result.rejects_defaulted = bool(outputs.rejected) and not explicit_rejects
    if outputs.records:
        result.output, result.sidecar = outputs.output, outputs.sidecar
    else:
        result.stopped = (
            f"nothing converted: all {result.rows:,} rows were rejected (reasons in {rejects})"
            if result.rows
            else f"nothing converted: no rows in {', '.join(opts.inputs)}"
        )
    # Files an earlier run left at these paths would describe that run, not this one.
    stale = [] if outputs.records else [outputs.output, outputs.sidecar]
    if not outputs.rejected and not explicit_rejects:
        stale.append(rejects)
    for path in stale:
        if path.is_file():
            path.unlink()
            result.notices.append(f"removed {path} left by an earlier run")
    result.seconds = time.monotonic() - started
    return result


def _expectations(
    opts: ConvertOptions,
    groups: list[tuple[str, list[str]]],
    settings: Settings,
    result: ConvertResult,
) -> dict[str, list[str]]:
    """Validate the source first; the rows to reject (G001 as an error), or a stop."""
    from fineprep.stages.check.rules.outside import G001
    from fineprep.stages.convert.expectations import validate_source

    assert opts.expectations is not None
    severity = settings.severity.get("G001", G001.severity)
    outcome = validate_source(
        iter_items(groups, _reader_options(opts, [])),
        opts.expectations,
        parameters={"labels": settings.labels} if settings.labels else {},
        severity=severity,
        empty_is_null=all(kind == "csv" for kind, _ in groups),
        chunk_rows=opts.expectations_chunk_rows,
    )
    result.findings = outcome.findings
    if severity is not Severity.ERROR:  # downgraded in config: report, convert anyway
        return {}
    if outcome.table_failed:
        result.expectations_failed = True
        result.rows = outcome.rows
        result.stopped = f"the source table failed expectations in {opts.expectations}; "
        result.stopped += "nothing written"
    return outcome.failed_rows


def _reader_options(opts: ConvertOptions, notices: list[str]) -> Callable[[str], dict[str, Any]]:
    """Each reader gets the user's source options; this package's readers also get the CSV
    encoding and delimiter and a list for notices (other readers refuse unknown options)."""

    def options_for(kind: str) -> dict[str, Any]:
        options = dict(opts.source_options)
        if kind in TABULAR:
            options.update(encoding=opts.encoding, delimiter=opts.delimiter, notices=notices)
        return options

    return options_for


def _convert_row(
    row: SourceRow, mapping: Mapping, chunker: Chunker | None
) -> list[tuple[dict[str, Any], RecordMeta]]:
    rid, label, group = row_meta(mapping, row)
    extra = {k: v for k, v in row.extra.items() if k not in _META_KEYS}
    if chunker is None:
        record = build_record(mapping, row)
        return [(record, RecordMeta(rid, label, group, row.source, extra))]
    chunks = chunker.split(input_text(mapping, row))
    if len(chunks) == 1:
        return [({"input": chunks[0]}, RecordMeta(rid, label, group, row.source, extra))]
    n = len(chunks)
    # Chunks of one document share a group so a split never puts them on both sides.
    shared = group if group is not None else row.source
    return [
        (
            {"input": chunk},
            RecordMeta(
                None if rid is None else f"{rid}#{k}",
                label,
                shared,
                f"{row.source} (chunk {k}/{n})",
                extra,
            ),
        )
        for k, chunk in enumerate(chunks, 1)
    ]


def _raw(row: SourceRow) -> str:
    """The row as JSON for the rejects file; rows JSON cannot hold (nested deeper than 255
    levels) are kept as their truncated Python repr, so the reject is still written."""
    try:
        return orjson.dumps(row.fields, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        try:
            return repr(row.fields)[:10_000]
        except RecursionError:
            return "(row nested too deeply to show)"


def _output_path(opts: ConvertOptions) -> Path:
    if not opts.inputs:
        raise ConfigError(
            "no sources to convert", hint="give SOURCE... or inputs = [...] in config"
        )
    if not opts.output:
        raise ConfigError("no output file", hint="give -o OUT.jsonl or output = ... in config")
    out = Path(opts.output)
    if not out.name.endswith(".jsonl"):
        raise ConfigError(f"{out}: the output must be a .jsonl file (Bedrock reads JSON Lines)")
    resolved = out.resolve()
    for src in opts.inputs:
        if Path(src).resolve() == resolved:
            raise ConfigError(f"{out}: the output would overwrite the source {src}")
    return out
