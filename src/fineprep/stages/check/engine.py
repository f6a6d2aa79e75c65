"""The check engine: stream every file once, run every enabled check, collect findings.

Per line: parse (P codes), detect or apply the file's format, walk the record once with the
format's analyzer (S codes, text segments), then hand the record to each per-record check.
Dataset-level checks keep compact state (hashes, counters) and report in ``finish``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, BinaryIO

import orjson

from fineprep.core import jsonexact
from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import AUGMENTED_FROM, Finding, RecordMeta
from fineprep.core.profiles import RFT, ModelProfile
from fineprep.core.rules import Path
from fineprep.formats import FORMATS, RFT_LOOKALIKES, compatible, detect
from fineprep.io.jsonl import (
    BOM,
    LineTooLong,
    bounded_lines,
    open_input,
    peek_start,
    sidecar_path,
    strip_line,
)
from fineprep.io.outputs import verify_set
from fineprep.stages.check.related import attach_related
from fineprep.stages.check.rules import CHECKS, RULES, Check
from fineprep.stages.check.scan import ESCAPES, LiteralScanner
from fineprep.stages.check.selection import resolve_selection
from fineprep.stages.check.state import CheckResult, FileState, RecordContext, RunState


def file_role(path: str, settings: Settings, validation: set[str], test: set[str]) -> str:
    """A file's role, only from what the user said: ``--validation``/``--test``, the files
    ``[dataset]`` declares, and the ``validation-files`` globs of the config. A file's name never
    decides: a training file called ``claude_dev.jsonl`` is still held to the training minimums."""
    if path in validation:
        return "validation"
    if path in test:
        return "test"
    declared = settings.declared_role(path)
    if declared is not None:
        return declared
    for pattern in settings.validation_files:
        if fnmatch.fnmatch(path, pattern):
            return "validation"
    return "train"


def new_run(
    settings: Settings,
    roles: frozenset[str] = frozenset({"train"}),
    data_format: str | None = None,
) -> tuple[RunState, list[Check]]:
    """Settings -> run state and started checks; ``roles`` are those of the files to come, and
    ``data_format`` the format of their first record, which picks the customization type whose
    limits apply (an RFT dataset for Nova 2 Lite is judged by its RFT limits)."""
    profile = run_profile(settings, settings.format or data_format)
    if settings.format and settings.format not in FORMATS:
        raise ConfigError(
            f"unknown format {settings.format!r}", hint=f"use one of {', '.join(FORMATS)}"
        )
    enabled = resolve_selection(settings)
    severity = {code: settings.severity.get(code, rule.severity) for code, rule in RULES.items()}
    for code in settings.severity:
        if code not in RULES:
            raise ConfigError(
                f"severity override for unknown code {code!r}", hint="run `fineprep explain --list`"
            )
    from fineprep.tokens.source import run_source

    source = run_source(profile, settings.encoding, settings.tokenizer, settings.tokenizer_file)
    run = RunState(settings, profile, enabled, severity, source.tokenizer, planned_roles=roles)
    run.token_source = source
    checks = [cls(run) for cls in CHECKS.values() if enabled.intersection(cls.codes)]
    for check in checks:
        check.start(run)
    run.literals[ESCAPES] = (b"\\u", b"\\/")
    run.scanner = LiteralScanner(run.literals)
    return run, checks


def run_profile(settings: Settings, data_format: str | None) -> ModelProfile | None:
    """The model's profile for the customization type the data is for, with the RFT prompt
    limit (``maxPromptLength``) as the input-token limit when the job sets it."""
    profile = settings.model_profile()
    if profile is None or data_format != "rft" or not profile.accepts("rft"):
        return profile
    profile = profile.for_customization(RFT)
    limit = settings.rft_hyperparameters().get("maxPromptLength")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        sources = {**profile.sources, "max_input_tokens": "hyperparameters.maxPromptLength"}
        profile = dataclasses.replace(profile, max_input_tokens=limit, sources=sources)
    return profile


def first_format(path: str) -> str | None:
    """The format of a file's first record, read without consuming stdin (None if unknown)."""
    if path == "-":
        return None
    try:
        with open_input(path) as stream:
            for physical in bounded_lines(stream):
                if isinstance(physical, LineTooLong):
                    return None
                raw = strip_line(physical).lstrip(BOM)
                if raw and not raw.isspace():
                    try:
                        return detect(orjson.loads(raw))
                    except orjson.JSONDecodeError:
                        return None
    except (OSError, InputError):
        return None
    return None


def check_files(
    paths: list[str],
    settings: Settings,
    *,
    validation: list[str] | None = None,
    test: list[str] | None = None,
    stdin_name: str = "<stdin>",
) -> CheckResult:
    """Check JSONL files (``-`` is stdin) and return every finding, sorted by location."""
    val, tst = set(validation or []), set(test or [])
    every = [*paths, *(validation or []), *(test or [])]
    roles = [file_role(path, settings, val, tst) for path in every]
    hint = None if settings.format or not every else first_format(every[0])
    run, checks = new_run(settings, frozenset(roles), hint)
    try:
        for path, role in zip(every, roles, strict=True):
            display = stdin_name if path == "-" else path
            file = FileState(path=display, role=role)
            run.files.append(file)
            _check_file(path, file, run, checks)
        for check in sorted(checks, key=lambda c: c.finish_order):
            check.finish(run)
    finally:
        tokenized = run.close_tokens()
    run.stats["tokenized_records"] = tokenized
    run.stats["encoding"] = run.encoding
    if run._tokens is not None:
        run.stats["token_source"] = run._tokens.effective.describe()
    run.findings.sort(key=Finding.sort_key)
    attach_related(run.findings, run.files)
    return CheckResult(run.findings, run.files, run.profile, settings, run.stats)


def _check_file(path: str, file: FileState, run: RunState, checks: list[Check]) -> None:
    settings = run.settings
    if settings.format:
        file.format = settings.format
        file.forced_format = True
    stream = open_input(path)
    try:
        head = peek_start(stream)
        has_bom = head.startswith(BOM)
        if has_bom:
            run.emit(
                "P004",
                "file starts with a UTF-8 byte-order mark (BOM); Bedrock expects plain UTF-8",
                file,
                1,
                None,
                {"bytes": 3},
            )
        body = head[3:] if has_bom else head
        if body.lstrip().startswith(b"["):
            run.emit(
                "P006",
                "file is a JSON array, not JSONL (one JSON object per line); "
                "convert it with: jq -c '.[]' FILE > FILE.jsonl",
                file,
                1,
            )
            return
        for check in checks:
            check.start_file(file)
        _stream_records(stream, path, file, run, checks, has_bom)
        for check in checks:
            check.finish_file(file)
    finally:
        if path != "-":
            stream.close()


def _stream_records(
    stream: Any, path: str, file: FileState, run: RunState, checks: list[Check], has_bom: bool
) -> None:
    record_checks = [c for c in checks if c.has_record_hook()]
    valid_only = [c for c in record_checks if c.needs_valid]
    any_record = [c for c in record_checks if not c.needs_valid]
    profile = run.profile
    # Sidecar lines keep their newline: to orjson it is JSON whitespace.
    meta_file: BinaryIO | None = None
    meta_lines: Iterator[bytes | LineTooLong] | None = None
    limit = run.settings.max_line_bytes
    if path != "-":
        meta_path = sidecar_path(path)
        if meta_path.is_file() and meta_path != PurePath(path):
            meta_file = meta_path.open("rb")
            meta_lines = bounded_lines(meta_file, limit)
            file.has_sidecar = True
        if "S009" in run.enabled:
            mixed = verify_set(path, meta_path if file.has_sidecar else None)
            if mixed is not None:
                run.emit("S009", mixed, file, None, None, {"set": "mismatch"})
    analyze = FORMATS.get(file.format).analyze if file.format else None
    emit = run.emit
    loads = jsonexact.loads  # orjson, with integers beyond 64 bits kept exact
    size = 0
    line_no = 0
    model_checked = False
    for line_no, physical in enumerate(bounded_lines(stream, limit), 1):
        meta = _next_meta(meta_lines, file, run, line_no) if meta_lines is not None else None
        if isinstance(physical, LineTooLong):
            size += physical.size + 1
            what = "skipped unread" if physical.ended else "no newline yet: stopped reading"
            emit(
                "P007",
                f"line of {'over ' if not physical.ended else ''}{physical.size:,} bytes is "
                f"longer than max-line-bytes ({limit:,}): {what}",
                file,
                line_no,
                None,
                {"bytes": physical.size, "limit": limit},
            )
            continue
        raw = strip_line(physical)
        size += len(raw) + 1
        if line_no == 1 and has_bom:
            raw = raw[3:]
        if not raw or raw.isspace():
            emit("P005", "blank line (Bedrock cannot parse empty lines; delete it)", file, line_no)
            continue
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError as exc:
            if line_no == 1 and raw.strip() in (b"{", b"["):
                emit(
                    "P006",
                    "file is a pretty-printed JSON document, not JSONL (one JSON object "
                    "per line); convert it with: jq -c . FILE > FILE.jsonl",
                    file,
                    1,
                )
                return
            _parse_error(raw, exc, file, line_no, run)
            continue
        if type(obj) is not dict:
            emit("P002", f"line is a JSON {_json_kind(obj)}, not an object", file, line_no)
            continue
        file.records += 1
        if meta is not None and meta.extra and AUGMENTED_FROM in meta.extra:
            strategy = meta.augment_strategy
            file.augmented[strategy] = file.augmented.get(strategy, 0) + 1
        if file.first_record_line is None:
            file.first_record_line = line_no
        if analyze is None:
            file.format = detect(obj)
            if file.format is None:
                emit(
                    "S001",
                    "record matches no Bedrock format (expected keys like 'prompt'/"
                    "'completion', 'messages' or 'input'); use --format to say which",
                    file,
                    line_no,
                    (),
                    {"keys": sorted(obj)[:20]},
                )
                continue
            analyze = FORMATS.get(file.format).analyze
        elif file.forced_format and line_no == file.first_record_line:
            own = detect(obj)
            if _other_customization(obj, own, file.format):
                emit(
                    "S002",
                    f"records look like {own}, not {file.format}: "
                    + _MISMATCH_HINT.get(file.format or "", _MISMATCH_HINT[""]),
                    file,
                    line_no,
                    None,
                    {"format": own, "file_format": file.format},
                )
                # Records go unwalked only when the finding that replaces theirs is reported.
                file.format_mismatch = run.is_enabled("S002")
        elif not file.forced_format and line_no != file.first_record_line:
            own = detect(obj)
            if not compatible(own, file.format or ""):
                emit(
                    "S002",
                    f"record looks like {own}, but this file is {file.format}",
                    file,
                    line_no,
                    None,
                    {"format": own, "file_format": file.format},
                )
                continue
        if file.format_mismatch:
            continue  # one S002 for the file; walking it as the wrong format finds only echoes
        if not model_checked:
            model_checked = True
            if profile is not None and not profile.accepts(file.format or ""):
                emit(
                    "S002",
                    f"{file.format} records are not accepted by {profile.name} "
                    f"(it takes {', '.join(profile.formats)})",
                    file,
                    line_no,
                    None,
                    {"format": file.format, "accepted": list(profile.formats)},
                )
        source = meta.source if meta else None

        def report(
            code: str,
            jpath: Path,
            message: str,
            data: dict[str, Any],
            _line: int = line_no,
            _source: str | None = source,
        ) -> None:
            emit(code, message, file, _line, jpath, data, _source)

        view = analyze(obj, profile, report)
        ctx = RecordContext(run, file, line_no, raw, obj, view, meta)
        for check in any_record:
            check.check(ctx)
        if view.structural_ok:
            for check in valid_only:
                check.check(ctx)
    file.lines = line_no
    file.bytes = size
    if meta_file is not None and meta_lines is not None:
        with meta_file:
            _finish_meta(meta_lines, file, run, line_no)


_MISMATCH_HINT = {
    "rft": "an RFT dataset holds prompts and a reference_answer per line, not supervised "
    "answers; convert it with `fineprep convert --to rft` (the final assistant answer becomes "
    "the reference answer)",
    "": "check the file with its own format (drop --format), or convert it with "
    "`fineprep convert --to FORMAT`",
}


def _other_customization(obj: dict[str, Any], own: str | None, forced: str | None) -> bool:
    """Whether a file forced to one format holds records of a format trained by another
    customization type (supervised records as RFT prompts, or the reverse): then every line
    would fail the same way, and one finding for the file says it better. A chat prompt that
    only lacks its reference answer is an RFT record with a finding, not another format."""
    if own is None or forced is None or own == forced or "rft" not in (own, forced):
        return False
    if forced == "rft" and own in RFT_LOOKALIKES:
        messages = obj.get("messages")
        last = messages[-1] if isinstance(messages, list) and messages else None
        return isinstance(last, dict) and last.get("role") == "assistant"
    return True


def _finish_meta(
    meta_lines: Iterator[bytes | LineTooLong], file: FileState, run: RunState, last_line: int
) -> None:
    """Report a sidecar longer than its data file (shorter ones are reported as they run out)."""
    extra = sum(1 for _ in meta_lines)
    if extra:
        run.emit(
            "S009",
            f"sidecar has {extra} more line{'s' if extra != 1 else ''} than the data file",
            file,
            None,
            None,
            {"extra_lines": extra, "data_lines": last_line},
        )


def _next_meta(
    meta_lines: Iterator[bytes | LineTooLong], file: FileState, run: RunState, line_no: int
) -> RecordMeta | None:
    item = next(meta_lines, None)
    if item is None:
        if not file.sidecar_short:
            file.sidecar_short = True
            run.emit(
                "S009",
                f"sidecar ends before the data file: no sidecar line for line {line_no} on",
                file,
                line_no,
                None,
                {"sidecar_lines": line_no - 1},
            )
        return None
    if isinstance(item, LineTooLong):
        run.emit("S009", f"sidecar line of {item.size:,} bytes is too long", file, line_no)
        return None
    try:
        obj = jsonexact.loads(item)
    except orjson.JSONDecodeError:
        run.emit("S009", "sidecar line is not valid JSON", file, line_no)
        return None
    if not isinstance(obj, dict):
        run.emit("S009", "sidecar line is not a JSON object", file, line_no)
        return None
    return RecordMeta.from_dict(obj)


def _json_kind(obj: Any) -> str:
    if isinstance(obj, list):
        return "array"
    if isinstance(obj, str):
        return "string"
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "boolean"
    return "number"


def _parse_error(
    raw: bytes, exc: orjson.JSONDecodeError, file: FileState, line_no: int, run: RunState
) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        run.emit(
            "P003",
            f"invalid UTF-8 at byte {err.start} of the line (re-save the source as UTF-8)",
            file,
            line_no,
            None,
            {"offset": err.start},
        )
        return
    text = str(exc)
    column = exc.pos + 1 if exc.pos is not None else None
    if "surrogate" in text:
        run.emit(
            "P003",
            f"escaped lone surrogate at column {column}: it cannot be encoded as "
            "UTF-8 (fix the text that produced it)",
            file,
            line_no,
            None,
            {"column": column},
        )
        return
    reason = text.split(": line ", maxsplit=1)[0]
    run.emit(
        "P001",
        f"invalid JSON at column {column}: {reason}",
        file,
        line_no,
        None,
        {"column": column, "reason": reason},
    )
