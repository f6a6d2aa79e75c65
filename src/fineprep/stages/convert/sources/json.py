"""JSON Lines and JSON documents with arbitrary keys.

Nested objects stay nested so templates can address them (``{{ meta.author.name }}``).
JSONL streams line by line (``file.jsonl:line N``); a line that is not a JSON object is
rejected with its line number and the rest still converts. A ``.json`` document is parsed
whole: an array yields one row per item (``file.json:item N``, 1-based), an object is one row.
A ``.json`` file that is really JSON Lines is read as such, with a notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.errors import InputError
from fineprep.io.jsonl import (
    BOM,
    MAX_LINE_BYTES,
    LineTooLong,
    bounded_lines,
    open_input,
    strip_line,
    too_long_error,
)
from fineprep.stages.convert.sources.base import SourceItem, SourceReject, SourceRow

_KINDS = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), type(value).__name__)


def read_jsonl(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Stream JSON Lines files (the ``jsonl`` source kind)."""
    for path in paths:
        yield from _lines(path)


def _lines(path: str) -> Iterator[SourceItem]:
    if Path(path).is_dir():
        raise InputError(f"{path}: is a directory", hint="pass the files inside it")
    with open_input(path) as stream:
        for number, line in enumerate(bounded_lines(stream, MAX_LINE_BYTES), 1):
            source = f"{path}:line {number}"
            if isinstance(line, LineTooLong):
                if not line.ended:  # no newline for many times the maximum: not JSON Lines
                    raise too_long_error(path, number, line.size)
                # one record, rejected on its own: the lines after it still convert
                reason = (
                    f"line of {line.size:,} bytes is longer than the maximum of "
                    f"{MAX_LINE_BYTES:,}: no Bedrock record is this long; split the record"
                )
                yield SourceReject(source, reason)
                continue
            raw = strip_line(line)
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            if not raw.strip():
                continue
            text = raw.decode("utf-8", "replace")
            try:
                obj = jsonexact.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield SourceReject(source, f"invalid JSON ({str(exc).split(':')[0]})", text)
                continue
            if not isinstance(obj, dict):
                yield SourceReject(source, f"line is {_kind(obj)}, not a JSON object", text)
                continue
            yield SourceRow(obj, source)


def read_json(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Read JSON documents (the ``json`` source kind); JSON Lines content is detected."""
    for path in paths:
        if Path(path).is_dir():
            raise InputError(f"{path}: is a directory", hint="pass the files inside it")
        with open_input(path) as stream:
            data = stream.read()
        body = data[len(BOM) :] if data.startswith(BOM) else data
        try:
            doc = jsonexact.loads(body)
        except orjson.JSONDecodeError as exc:
            if _looks_like_jsonl(body):
                options.setdefault("notices", []).append(f"{path}: read as JSON Lines")
                yield from _lines(path)
                continue
            raise InputError(
                f"{path}: invalid JSON ({exc})", hint="fix the file or pass --source"
            ) from None
        if isinstance(doc, dict):
            yield SourceRow(doc, path)
        elif isinstance(doc, list):
            for index, item in enumerate(doc, 1):
                source = f"{path}:item {index}"
                if isinstance(item, dict):
                    yield SourceRow(item, source)
                else:
                    raw = jsonexact.dumps(item).decode()
                    yield SourceReject(source, f"item is {_kind(item)}, not a JSON object", raw)
        else:
            raise InputError(
                f"{path}: the document is {_kind(doc)}; expected an object or an array of objects"
            )


def _looks_like_jsonl(body: bytes) -> bool:
    first = body.lstrip().split(b"\n", 1)[0]
    try:
        return isinstance(orjson.loads(first), dict) and b"\n" in body.strip()
    except orjson.JSONDecodeError:
        return False
