"""The per-record path of ``check``: lines -> parse (P codes) -> format (detected or forced,
S001/S002) -> the format's walk (S codes, the view) -> every record check. On big files the
common valid record skips the parse and the walk: its format's typed decoder
(:mod:`fineprep.formats.fast`) gives the view directly.

Used by the engine for a whole file and by partition workers for a byte range of one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any, BinaryIO

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import AUGMENTED_FROM, RecordMeta
from fineprep.core.rules import Path
from fineprep.formats import FORMATS, compatible, detect, other_customization
from fineprep.formats.base import FastDecode
from fineprep.io.jsonl import LineTooLong, bounded_lines, open_input, sidecar_path, strip_line
from fineprep.io.outputs import verify_set
from fineprep.io.remote import input_aws, is_remote, open_remote, remote_sidecar
from fineprep.stages.check.lines import finish_meta, json_kind, next_meta, report_parse_error
from fineprep.stages.check.rules import Check
from fineprep.stages.check.state import FileState, RecordContext, RunState

#: Whether records of a format with a typed decoder (``formats.fast``) are read by it, from
#: which record of a file (or partition) on: the decoders save ~5 us a record and cost ~10 ms
#: to import, so a pre-commit-sized file never loads them. A partition exists only for a big
#: file, so its decoders start right after its first walked record. The findings are the same
#: either way (the tests compare runs with and without).
FAST_DECODE = True
FAST_AFTER = 2000


def start_file_state(file: FileState, run: RunState, has_bom: bool) -> None:
    """What a file's first bytes and the settings say before its first line: a forced
    format, and P004 for a byte-order mark."""
    if run.settings.format:
        file.format = run.settings.format
        file.forced_format = True
    if has_bom:
        emit_bom(file, run)


def emit_bom(file: FileState, run: RunState) -> None:
    run.emit(
        "P004",
        "file starts with a UTF-8 byte-order mark (BOM); Bedrock expects plain UTF-8",
        file,
        1,
        None,
        {"bytes": 3},
    )


def stream_records(
    stream: Any,
    path: str,
    file: FileState,
    run: RunState,
    checks: list[Check],
    has_bom: bool,
    *,
    first_line: int = 1,
    whole_file: bool = True,
    sidecar: tuple[BinaryIO, bool] | None = None,
) -> None:
    """Every line of ``stream`` (numbered from ``first_line``) through parsing, the format's
    walk and the record checks. A partition of a file (``whole_file`` False) comes with the
    file's format known when it is not the first, and with its ``sidecar``: the sidecar
    positioned at the partition's first line, and whether it is the file's last partition
    (which reports a sidecar longer than the data)."""
    record_checks = [c for c in checks if c.has_record_hook()]
    valid_only = [c for c in record_checks if c.needs_valid]
    any_record = [c for c in record_checks if not c.needs_valid]
    in_order = any_record + valid_only  # a valid record's checks, in the walked path's order
    profile = run.profile
    accepted = profile.formats if profile is not None else ()
    # Sidecar lines keep their newline: to orjson it is JSON whitespace.
    meta_file, last = sidecar if sidecar is not None else (None, True)
    limit = run.settings.max_line_bytes
    if meta_file is not None:
        file.has_sidecar = True
    elif path != "-" and whole_file:
        meta_file = _sidecar_of(path, run)
        file.has_sidecar = meta_file is not None
    if path != "-" and first_line == 1 and "S009" in run.enabled:
        # Once per file (the whole file, or its first partition): the pair is one output set.
        mixed = verify_set(path, sidecar_path(path) if file.has_sidecar else None)
        if mixed is not None:
            run.emit("S009", mixed, file, None, None, {"set": "mismatch"})
    meta_lines = bounded_lines(meta_file, limit) if meta_file is not None else None
    analyze = FORMATS.get(file.format).analyze if file.format else None
    emit = run.emit
    loads = jsonexact.loads  # orjson, with integers beyond 64 bits kept exact
    size = 0
    line_no = 0
    model_checked = not whole_file and first_line > 1
    fast: FastDecode | None = None
    fast_meta: Callable[[bytes], RecordMeta | None] | None = None
    fast_known = False
    fast_after = FAST_AFTER if whole_file else 1
    for line_no, physical in enumerate(bounded_lines(stream, limit), first_line):
        meta = (
            next_meta(meta_lines, file, run, line_no, fast_meta) if meta_lines is not None else None
        )
        if isinstance(physical, LineTooLong):
            size += physical.length
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
        size += len(physical)
        if line_no == 1 and has_bom:
            raw = raw[3:]
        if not raw or raw.isspace():
            emit("P005", "blank line (Bedrock cannot parse empty lines; delete it)", file, line_no)
            continue
        if fast is not None:
            view = fast(raw)
            if view is not None:  # the common valid record: parsed, checked and viewed in one
                file.records += 1
                if meta is not None and meta.extra and AUGMENTED_FROM in meta.extra:
                    _count_augmented(file, meta)
                ctx = RecordContext(run, file, line_no, raw, None, view, meta)
                for check in in_order:
                    check.check(ctx)
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
                file.unparsed = True
                return
            report_parse_error(raw, exc, file, line_no, run)
            continue
        if type(obj) is not dict:
            emit("P002", f"line is a JSON {json_kind(obj)}, not an object", file, line_no)
            continue
        file.records += 1
        if meta is not None and meta.extra and AUGMENTED_FROM in meta.extra:
            _count_augmented(file, meta)
        if file.first_record_line is None:
            file.first_record_line = line_no
        if analyze is None:
            file.format = detect(obj, accepted)
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
            own = detect(obj)
            if profile is not None and file.format not in (own, "rft") and not _a_prompt(obj, own):
                # Walked as the model's own chat format, which says what to fix; this says
                # why the record reads as another (the whole file may be in that format).
                emit(
                    "S002",
                    f"record looks like {own}, which {profile.name} does not take (it takes "
                    f"{', '.join(profile.formats)}); checked as {file.format}",
                    file,
                    line_no,
                    None,
                    {"format": own, "file_format": file.format},
                )
        elif file.forced_format and line_no == file.first_record_line:
            own = detect(obj)
            if other_customization(obj, own, file.format):
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
            own = detect(obj, accepted)
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
        if (
            not fast_known
            and file.records >= fast_after
            and model_checked
            and file.format
            and not file.format_mismatch
        ):
            # Only after the record that settled the format and the model checks.
            fast_known = True
            if FAST_DECODE:
                from fineprep.formats import fast as typed

                fast = FORMATS.get(file.format).fast_decode
                fast_meta = typed.sidecar
    file.lines = line_no
    file.bytes = size
    if meta_file is not None and meta_lines is not None:
        with meta_file:
            if last:
                finish_meta(meta_lines, file, run, line_no)


_MISMATCH_HINT = {
    "rft": "an RFT dataset holds prompts and a reference_answer per line, not supervised "
    "answers; convert it with `fineprep convert --to rft` (the final assistant answer becomes "
    "the reference answer)",
    "": "check the file with its own format (drop --format), or convert it with "
    "`fineprep convert --to FORMAT`",
}


def _a_prompt(obj: dict[str, Any], own: str | None) -> bool:
    """A conversation record without an assistant turn, for a model that takes distillation
    prompts but not conversations (Llama 3.1): a distillation prompt, which is that shape."""
    if own != "conversation":
        return False
    messages = obj.get("messages")
    return isinstance(messages, list) and not any(
        isinstance(m, dict) and m.get("role") == "assistant" for m in messages
    )


def _sidecar_of(path: str, run: RunState) -> BinaryIO | None:
    """The sidecar beside a file, or beside an S3 object (read from S3 as the data is)."""
    if is_remote(path):
        aws = input_aws(run.settings.sections.get("upload"))
        uri = remote_sidecar(path, aws)
        return open_remote(uri, aws) if uri is not None else None
    meta_path = sidecar_path(path)
    if meta_path.is_file() and meta_path != PurePath(path):
        return open_input(str(meta_path))  # an unreadable sidecar is the user's to fix
    return None


def _count_augmented(file: FileState, meta: RecordMeta) -> None:
    strategy = meta.augment_strategy
    file.augmented[strategy] = file.augmented.get(strategy, 0) + 1
