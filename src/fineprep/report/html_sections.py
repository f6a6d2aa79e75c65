"""Extra report sections (split counts, upload, job) from plain values, as tables or text.

``fineprep run`` reports a whole pipeline, not only a check: its other steps pass their
results as plain dicts, and this module turns each into something the template can show
without knowing what the step was. Values stay strings here; the template escapes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from fineprep.core import jsonexact


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str
    text: str | None = None
    #: Two-column key/value rows (a mapping of scalars).
    pairs: list[tuple[str, str]] = field(default_factory=list)
    #: A table: column headers (first is the row header) and rows.
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def fmt(value: Any) -> str:
    """Show a value: numbers with thousands separators, lists joined, objects as JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
    ):
        return ", ".join(fmt(v) for v in value)
    return jsonexact.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def sections_from(sections: Mapping[str, Any]) -> list[Section]:
    out = []
    for i, (title, value) in enumerate(sections.items()):
        anchor = f"section-{i}-" + re.sub(r"[^a-z0-9]+", "-", str(title).lower()).strip("-")
        out.append(_section(str(title), anchor, value))
    return out


def _section(title: str, anchor: str, value: Any) -> Section:
    if isinstance(value, Mapping):
        if value and all(isinstance(v, Mapping) for v in value.values()):
            keys = _union(value.values())
            rows = [[str(k), *(fmt(v.get(c)) for c in keys)] for k, v in value.items()]
            return Section(title, anchor, columns=["", *map(str, keys)], rows=rows)
        return Section(title, anchor, pairs=[(str(k), fmt(v)) for k, v in value.items()])
    if _is_table(value):
        keys = _union(value)
        rows = [[fmt(r.get(c)) for c in keys] for r in value]
        return Section(title, anchor, columns=[str(k) for k in keys], rows=rows)
    return Section(title, anchor, text=fmt(value))


def _is_table(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, (str, bytes))
        and bool(value)
        and all(isinstance(r, Mapping) for r in value)
    )


def _union(rows: Any) -> list[Any]:
    """Column keys in first-seen order across rows."""
    seen: dict[Any, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)
