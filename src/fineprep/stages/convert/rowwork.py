"""The row work of ``convert``, shared by the runner (one process) and its partitions: plan
and mapping per source (``prepare``), one source item to records or rejects (``convert_item``),
and each reader's options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import RecordMeta
from fineprep.core.profiles import ModelProfile
from fineprep.io.remote import input_aws
from fineprep.stages.convert.chunking import Chunker
from fineprep.stages.convert.mapping import (
    TEMPLATE_OPTIONS,
    build_mapping,
    chunk_policy,
)
from fineprep.stages.convert.options import ConvertOptions
from fineprep.stages.convert.plain_rows import PlainRow, plain_rows
from fineprep.stages.convert.result import SHOWN, ConvertResult, located
from fineprep.stages.convert.rows import convert_row, raw
from fineprep.stages.convert.sources.base import SourceItem, SourceReject, SourceRow
from fineprep.stages.convert.sources.chat import CHAT_KINDS
from fineprep.stages.convert.sources.detect import TABULAR, Plan, plan
from fineprep.stages.convert.targets import Mapping
from fineprep.stages.convert.values import RowError


class Sink(Protocol):
    """Where records and rejects go: the output files, or a partition's part of them."""

    rejected: int
    last_reason: str

    def write(
        self, record: dict[str, Any], meta: RecordMeta, line: bytes | None = None
    ) -> None: ...

    def write_lines(self, line: bytes, meta: bytes) -> None:
        """Write one record and its sidecar line, both already serialized."""

    def reject(self, source: str, reason: str, raw: str | None) -> None: ...


@dataclass
class Job:
    opts: ConvertOptions
    plan: Plan
    mapping: Mapping
    chunker: Chunker | None
    #: The common row's lines from byte templates (None: every row takes ``convert_row``).
    plain: PlainRow | None = None


def prepare(
    opts: ConvertOptions,
    target: str,
    profile: ModelProfile | None,
    settings: Settings,
    planned: Plan | None = None,
) -> Job:
    """Everything a source needs before any row is read: configuration errors come first.
    ``planned``: the inputs' plan, when it was made already (a partition's worker is handed
    its kinds instead of reading every input again)."""
    templated = any(getattr(opts, o) is not None for o in TEMPLATE_OPTIONS)
    # RFT prompts are built from whole records (supervised ones turned into prompts), not from
    # the turns a chat reader extracts.
    chat_ok = not templated and target != "rft"
    aws = input_aws(settings.sections.get("upload"))
    groups = (
        planned if planned is not None else plan(opts.inputs, opts.source, chat=chat_ok, aws=aws)
    )
    chat = [k for k in groups.kinds if k in CHAT_KINDS]
    if chat and len(chat) != len(groups.kinds):
        others = ", ".join(k for k in groups.kinds if k not in CHAT_KINDS)
        raise ConfigError(
            f"chat files ({', '.join(chat)}) and other inputs ({others}) need different "
            "mappings; convert them separately or as separate [[convert.sources]]"
        )
    check_source_options(opts, groups.kinds)
    mapping = build_mapping(opts, target, profile, chat=bool(chat))
    chunker = Chunker(chunk_policy(opts, profile, settings)) if target == "pretraining" else None
    plain = plain_rows(mapping) if chunker is None else None
    return Job(opts, groups, mapping, chunker, plain)


def convert_item(
    item: SourceItem,
    job: Job,
    failed: dict[str, list[str]],
    outputs: Sink,
    result: ConvertResult,
) -> None:
    result.rows += 1
    plain = job.plain
    if plain is not None and type(item) is SourceRow and (not failed or item.source not in failed):
        lines = plain(item)
        if lines is not None:
            outputs.write_lines(*lines)
            return
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


def reader_options(
    opts: ConvertOptions, notices: list[str], kinds: list[str]
) -> Callable[[str], dict[str, Any]]:
    """Each reader gets the user's source options and a list for notices; this package's
    table readers also get the encoding, delimiter, header and sheet options.

    ``kinds``: every source kind of the run. -S options are for the readers that take them; a
    file read by one that takes none (a stray ``config.json`` in a folder of Textract outputs)
    is refused on its own, naming it, while the rest converts. When no reader of the run takes
    options, an -S is a usage error (see :func:`check_source_options`).
    """
    takers = [k for k in kinds if k not in _NO_OPTIONS]

    def options_for(kind: str) -> dict[str, Any]:
        if opts.source_options and kind in _NO_OPTIONS:
            given = sorted(opts.source_options)
            if not takers:
                _no_reader_options([kind], given)
            named = ", ".join(f"-S {key.replace('_', '-')}" for key in given)
            sources = " and ".join(takers)
            raise InputError(
                f"read as {kind}, which takes no -S options ({named} given for the {sources} "
                f"source{'s' if len(takers) > 1 else ''})",
                hint="move it out of the inputs, or convert it in a run of its own",
            )
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


def check_source_options(opts: ConvertOptions, kinds: list[str]) -> None:
    """Refuse -S options when no reader of the run takes any, before anything is read."""
    if opts.source_options and kinds and all(k in _NO_OPTIONS for k in kinds):
        _no_reader_options(kinds, sorted(opts.source_options))


#: Source kinds whose readers take no -S options (the document readers refuse the options
#: they do not know themselves; a reader registered by a plugin gets whatever is given).
_NO_OPTIONS = frozenset(
    {"csv", "xlsx", "parquet", "arrow", "json", "jsonl", "openai-chat", "sharegpt", "alpaca"}
)


def _no_reader_options(kinds: list[str], given: list[str]) -> None:
    """Tables and chat files have no reader options: an -S given for them is a mistake (a
    typo, or a command-line option given as -S), never something to ignore."""
    from fineprep.core.errors import did_you_mean

    key = given[0]
    table_options = ["encoding", "delimiter", "no_header", "sheet"]
    close = did_you_mean(key, table_options)
    hint = f"use --{close.split(chr(39))[1].replace('_', '-')}" if close else "remove it"
    names = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    sources = f"the {names} source{'s have' if len(kinds) > 1 else ' has'}"
    raise ConfigError(f"-S {key.replace('_', '-')}: {sources} no option {key!r}{close}", hint=hint)
