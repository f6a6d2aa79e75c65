"""JSON in and out with integers of any size kept exactly.

orjson, the fast parser every stage uses, reads an integer beyond 64 bits as a float
(``123456789012345678901`` becomes ``1.2345678901234568e+20``) and refuses to write one. Two
distinct 21-digit order ids would then collapse into one value: one record "duplicates" the
other, ``--fix-duplicates`` drops it, a split key merges them, a template prints the float.

:func:`loads` parses with orjson, then looks for a run of 19 or more digits in the raw text
(the only way to spell an integer orjson cannot hold; one ``bytes.translate`` and a substring
search, cheap next to the parse) and only then parses again with the standard library, which
keeps such integers exact (the text is already known to be valid JSON, so both parsers agree
on everything else). :func:`dumps` writes with orjson and falls back to the standard library
for the few values orjson refuses because of such an integer, writing everything else as
orjson does (an infinite or NaN float as ``null``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

#: Digits stay digits, every other byte becomes a space: a long integer is a run of "0"s.
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19

JSONDecodeError = orjson.JSONDecodeError


def might_hold_long_integer(raw: bytes | bytearray | memoryview | str) -> bool:
    """Whether ``raw`` has a run of 19+ ASCII digits (maybe an integer orjson turns into a
    float; maybe only digits in a string: then the exact parse gives the same value)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    return _LONG_RUN in data.translate(_DIGITS)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes | bytearray | memoryview | str) -> Any:
    """Like :func:`orjson.loads` (same errors), but integers beyond 64 bits are exact ints."""
    obj = orjson.loads(raw)
    if not might_hold_long_integer(raw):
        return obj
    try:
        return json.loads(bytes(raw) if isinstance(raw, memoryview) else raw,
                          parse_constant=_no_constant)  # fmt: skip
    except (ValueError, RecursionError):
        return obj  # cannot happen for text orjson accepted; keep its reading


def dumps(
    value: Any,
    *,
    default: Callable[[Any], Any] | None = None,
    option: int | None = None,
) -> bytes:
    """Like :func:`orjson.dumps`, but integers beyond 64 bits are written exactly.

    Supports the options the stages use: sorted keys, a trailing newline, non-string keys and
    indentation by two spaces."""
    try:
        return orjson.dumps(value, default=default, option=option)
    except TypeError as exc:
        if "64-bit" not in str(exc) and "Integer" not in str(exc):
            raise
    opts = option or 0
    text = json.dumps(
        _as_orjson_writes(value),
        default=None if default is None else lambda v: _as_orjson_writes(default(v)),
        ensure_ascii=False,
        sort_keys=bool(opts & orjson.OPT_SORT_KEYS),
        indent=2 if opts & orjson.OPT_INDENT_2 else None,
        separators=(",", ": ") if opts & orjson.OPT_INDENT_2 else (",", ":"),
        allow_nan=False,
    )
    data = text.encode("utf-8", "surrogatepass")
    return data + b"\n" if opts & orjson.OPT_APPEND_NEWLINE else data


def _as_orjson_writes(value: Any) -> Any:
    """``value`` with the floats that are not JSON (infinities, NaN) as None, which is what
    orjson writes for them; the standard library would refuse the whole value instead."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _as_orjson_writes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_orjson_writes(v) for v in value]
    return value
