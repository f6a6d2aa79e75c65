"""One Google Document AI ``Document`` (one shard of it) in the shared document model.

Every piece of text in a Document is a ``textAnchor``: segments of the document's ``text`` given
as ``startIndex``/``endIndex`` (int64 values, so JSON strings; a missing start is 0), relative to
this shard's ``text``. Pages, form fields, table cells and entities are all read through them:

- page text: the page's ``layout`` anchor (Document AI's text is already in reading order)
- ``key_values``: ``formFields`` (``fieldName``: ``fieldValue``; checkbox values as ``[X]``/``[ ]``)
- ``tables``: ``headerRows`` and ``bodyRows``, cells placed by their ``rowSpan``/``colSpan``
- ``fields``: extraction ``entities`` by ``type``: the normalized value's text when there is one
  (``2025-01-01``), else the mention; ``properties`` nest (a ``line_item`` is an object); a type
  found more than once is a list
- ``classes``: classifier entities (a type and a confidence, no text), most confident first, and
  splitter entities (a type over pages, no text) as the classes of those pages
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fineprep.stages.convert.document import Page, Table, one_line
from fineprep.stages.convert.textract.files import as_dict, as_float, as_list, as_str
from fineprep.stages.convert.textract.tables import join_header

_CHECKBOX = {"filled_checkbox": "[X]", "unfilled_checkbox": "[ ]"}


def number(value: Any, default: int = 0) -> int:
    """An int64 field, which JSON writes as a string (``"709"``); ``default`` when absent."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def anchored(anchor: Any, text: str) -> str:
    spec = as_dict(anchor)
    parts = [
        text[number(s.get("startIndex")) : number(s.get("endIndex"))]
        for s in map(as_dict, as_list(spec.get("textSegments")))
    ]
    if not parts:
        return as_str(spec.get("content"))
    return "".join(parts)


def layout_text(item: Any, text: str) -> str:
    return anchored(as_dict(as_dict(item).get("layout")).get("textAnchor"), text)


@dataclass
class Shard:
    """What one shard contributes: its pages, fields, classes and shard info (``sharded``:
    whether the file has ``shardInfo`` at all; ``offset``: its ``textOffset`` when given, and
    ``length`` the length of its ``text``, to check that shards follow each other)."""

    index: int
    count: int
    pages: list[Page]
    entities: list[tuple[str, Any]] = field(default_factory=list)
    classes: list[tuple[float, str]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    sharded: bool = False
    offset: int | None = None
    length: int = 0


def read_shard(doc: dict[str, Any], shown: str) -> Shard:
    text = as_str(doc.get("text"))
    info = as_dict(doc.get("shardInfo"))
    page_classes: dict[int, list[str]] = {}
    shard = Shard(number(info.get("shardIndex")), max(number(info.get("shardCount"), 1), 1), [])
    shard.sharded = isinstance(doc.get("shardInfo"), dict)
    shard.offset = number(info["textOffset"]) if "textOffset" in info else None
    shard.length = len(text)
    for entity in map(as_dict, as_list(doc.get("entities"))):
        kind = as_str(entity.get("type")).strip()
        if not kind:
            continue
        if _is_label(entity):
            refs = as_list(as_dict(entity.get("pageAnchor")).get("pageRefs"))
            if refs:  # a splitter: this type covers these pages (0-based indices)
                for ref in map(as_dict, refs):
                    page_classes.setdefault(number(ref.get("page")), []).append(kind)
            else:
                shard.classes.append((as_float(entity.get("confidence")) or 0.0, kind))
            continue
        shard.entities.append((kind, entity_value(entity, text)))
    for index, page in enumerate(map(as_dict, as_list(doc.get("pages")))):
        page_number = number(page.get("pageNumber"), index + 1)
        shard.pages.append(
            Page(
                page_number,
                layout_text(page, text).strip(),
                key_values=_form_fields(page, text),
                tables=[t for t in (_table(t, text) for t in as_list(page.get("tables"))) if t],
                source=shown,
                classes=tuple(page_classes.get(page_number - 1, ())),
            )
        )
    if not shard.pages and text.strip():
        shard.pages.append(Page(1, text.strip(), source=shown))
    shard.meta = {"uri": as_str(doc.get("uri")), "mime_type": as_str(doc.get("mimeType"))}
    return shard


def _is_label(entity: dict[str, Any]) -> bool:
    """A classifier or splitter entity: a type with no text of its own."""
    return not (
        entity.get("mentionText") or entity.get("textAnchor") or entity.get("properties")
    ) and not as_dict(entity.get("normalizedValue"))


def entity_value(entity: dict[str, Any], text: str) -> Any:
    properties = [as_dict(p) for p in as_list(entity.get("properties"))]
    if properties:
        return group_values([(as_str(p.get("type")), entity_value(p, text)) for p in properties])
    normalized = as_str(as_dict(entity.get("normalizedValue")).get("text")).strip()
    if normalized:
        return normalized
    mention = as_str(entity.get("mentionText")) or anchored(entity.get("textAnchor"), text)
    return mention.strip()


def group_values(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``{type: value}``; a type that occurs more than once holds the list of its values."""
    out: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for kind, value in pairs:
        if not kind or value in ("", None, {}):
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] == 1:
            out[kind] = value
        elif counts[kind] == 2:
            out[kind] = [out[kind], value]
        else:
            out[kind].append(value)
    return out


def _form_fields(page: dict[str, Any], text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in map(as_dict, as_list(page.get("formFields"))):
        key = one_line(layout_text(item.get("fieldName"), text), sep=" ").rstrip(":").strip()
        value = _CHECKBOX.get(as_str(item.get("valueType")))
        if value is None:
            value = one_line(layout_text(item.get("fieldValue"), text))
        if key:
            pairs.append((key, value))
    return pairs


def _table(table: Any, text: str) -> Table | None:
    spec = as_dict(table)
    header_rows = [as_dict(r) for r in as_list(spec.get("headerRows"))]
    body_rows = [as_dict(r) for r in as_list(spec.get("bodyRows"))]
    grid = _grid(header_rows + body_rows, text)
    if not grid or not any(cell for row in grid for cell in row):
        return None
    count = max(len(header_rows), 1)
    header = [join_header([grid[r][c] for r in range(count)]) for c in range(len(grid[0]))]
    return Table(header, grid[count:])


def _grid(rows: list[dict[str, Any]], text: str) -> list[list[str]]:
    """Cells placed on a grid, skipping the positions that row spans from above fill."""
    taken: dict[tuple[int, int], str] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in map(as_dict, as_list(row.get("cells"))):
            while (r, c) in taken:
                c += 1
            value = one_line(layout_text(cell, text), sep=" ")
            rows_spanned = max(number(cell.get("rowSpan"), 1), 1)
            cols = max(number(cell.get("colSpan"), 1), 1)
            for dr in range(rows_spanned):
                for dc in range(cols):
                    # Down the rows a merged cell repeats; across the columns it is written once.
                    taken[(r + dr, c + dc)] = value if dc == 0 else ""
            c += cols
            width = max(width, c)
    return [[taken.get((r, c), "") for c in range(width)] for r in range(len(rows))]
