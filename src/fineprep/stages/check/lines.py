"""What the per-record path says about a line before any format is involved: why it does not
parse (P001-P003), and the sidecar line that goes with it (S009).

Kept apart from :mod:`fineprep.stages.check.records` so that the loop there reads as the path
a valid record takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import RecordMeta
from fineprep.io.jsonl import LineTooLong
from fineprep.stages.check.state import FileState, RunState


def finish_meta(
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


def next_meta(
    meta_lines: Iterator[bytes | LineTooLong],
    file: FileState,
    run: RunState,
    line_no: int,
    fast: Callable[[bytes], RecordMeta | None] | None,
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
    if fast is not None:
        meta = fast(item)
        if meta is not None:
            return meta
    try:
        obj = jsonexact.loads(item)
    except orjson.JSONDecodeError:
        run.emit("S009", "sidecar line is not valid JSON", file, line_no)
        return None
    if not isinstance(obj, dict):
        run.emit("S009", "sidecar line is not a JSON object", file, line_no)
        return None
    return RecordMeta.from_dict(obj)


def json_kind(obj: Any) -> str:
    if isinstance(obj, list):
        return "array"
    if isinstance(obj, str):
        return "string"
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "boolean"
    return "number"


def report_parse_error(
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
