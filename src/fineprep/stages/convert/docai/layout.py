"""Document AI Layout Parser output: ``documentLayout.blocks`` instead of ``text`` and pages.

The layout parser writes each block's own text (``textBlock.text`` with a ``type`` such as
``heading-1`` or ``paragraph``, nested ``blocks``), tables (``tableBlock``) and lists
(``listBlock``), each with the pages it spans. The text is rendered as the other readers render
layout: headings as ``#``...``######``, list entries as ``- ``, tables as Markdown on their page.
"""

from __future__ import annotations

from typing import Any

from fineprep.stages.convert.docai.document import number
from fineprep.stages.convert.document import Page, Table, one_line
from fineprep.stages.convert.textract.files import as_dict, as_list, as_str

_FURNITURE = frozenset({"header", "footer"})


def layout_pages(layout: dict[str, Any], shown: str, skip_furniture: bool) -> list[Page]:
    lines: dict[int, list[str]] = {}
    tables: dict[int, list[Table]] = {}
    for block in map(as_dict, as_list(layout.get("blocks"))):
        _block(block, lines, tables, skip_furniture, 1)
    numbers = sorted(set(lines) | set(tables))
    return [
        Page(n, "\n".join(lines.get(n, [])), tables=list(tables.get(n, [])), source=shown)
        for n in numbers
    ]


def _page(block: dict[str, Any], default: int) -> int:
    start = number(as_dict(block.get("pageSpan")).get("pageStart"), default)
    return start if start >= 1 else default


def _block(
    block: dict[str, Any],
    lines: dict[int, list[str]],
    tables: dict[int, list[Table]],
    skip: bool,
    default: int,
) -> None:
    page = _page(block, default)
    text_block = as_dict(block.get("textBlock"))
    if text_block:
        kind = as_str(text_block.get("type"))
        body = as_str(text_block.get("text")).strip()
        if body and not (skip and kind in _FURNITURE):
            level = number(kind.removeprefix("heading-"), 0) if kind.startswith("heading-") else 0
            prefix = "#" * min(level, 6) + " " if level else ""
            lines.setdefault(page, []).append(prefix + (one_line(body, sep=" ") if level else body))
        for child in map(as_dict, as_list(text_block.get("blocks"))):
            _block(child, lines, tables, skip, page)
    for entry in map(as_dict, as_list(as_dict(block.get("listBlock")).get("listEntries"))):
        entry_lines: dict[int, list[str]] = {}
        for child in map(as_dict, as_list(entry.get("blocks"))):
            _block(child, entry_lines, tables, skip, page)
        for n, items in entry_lines.items():
            lines.setdefault(n, []).append("- " + one_line(" ".join(items), sep=" "))
    table_block = as_dict(block.get("tableBlock"))
    if table_block:
        rows = [_row(r) for r in as_list(table_block.get("headerRows"))]
        body_rows = [_row(r) for r in as_list(table_block.get("bodyRows"))]
        header = rows[0] if rows else (body_rows.pop(0) if body_rows else [])
        if header or body_rows:
            tables.setdefault(page, []).append(Table(header, body_rows))


def _row(row: Any) -> list[str]:
    cells = []
    for cell in map(as_dict, as_list(as_dict(row).get("cells"))):
        parts = [
            as_str(as_dict(b.get("textBlock")).get("text")).strip()
            for b in map(as_dict, as_list(cell.get("blocks")))
        ]
        cells.append(" ".join(p for p in parts if p))
    return cells
