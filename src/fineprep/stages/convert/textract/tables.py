"""Textract TABLE blocks to :class:`~fineprep.stages.convert.document.Table` grids.

Markdown has no merged cells, so a MERGED_CELL is spread over the grid the way a reader of the
table would understand it: in the body its text is repeated down the rows it spans (each row
stays self-contained: every payment on a merged date cell keeps its date) but written once
across the columns it spans (repeating it sideways would invent values); in the header it is
repeated across the columns too, so that a two-level header becomes ``Earnings / rate``.

The header is the run of leading rows whose cells Textract marked COLUMN_HEADER, or the first
row when it marked none.
"""

from __future__ import annotations

from typing import Any, Protocol

from fineprep.core.errors import InputError
from fineprep.stages.convert.document import Table
from fineprep.stages.convert.textract.files import as_int, entity_types, kind


class Blocks(Protocol):
    """What a table needs of the block graph (:class:`~.blocks.Blocks` provides it)."""

    def related(self, block: dict[str, Any], rtype: str) -> list[dict[str, Any]]: ...

    def text(self, block: dict[str, Any]) -> str: ...


#: A grid much larger than its number of cells means corrupt indices, not a real table.
_SLACK = 10_000
#: Rows above the column headers that are rendered as the table's caption, at most.
_CAPTION_ROWS = 2


def _span(block: dict[str, Any], key: str) -> int:
    value = as_int(block.get(key))
    return value if value is not None and value >= 1 else 1


def build_table(blocks: Blocks, table: dict[str, Any], shown: str) -> Table | None:
    """The table's grid, or ``None`` for a table without placeable cells."""
    cells = [c for c in blocks.related(table, "CHILD") if kind(c) == "CELL"]
    limit = len(cells)
    text: dict[tuple[int, int], str] = {}
    marked: set[tuple[int, int]] = set()
    for cell in cells:
        row, col = as_int(cell.get("RowIndex")), as_int(cell.get("ColumnIndex"))
        if row is None or col is None or not (1 <= row <= limit and 1 <= col <= limit):
            continue
        text[(row, col)] = blocks.text(cell)
        if "COLUMN_HEADER" in entity_types(cell):
            marked.add((row, col))
    if not text:
        return None
    nrows = max(r for r, _ in text)
    ncols = max(c for _, c in text)
    if nrows * ncols > 4 * len(text) + _SLACK:
        raise InputError(
            f"{shown}: table {table.get('Id')!r} has cell indices up to row {nrows}, column "
            f"{ncols} for only {len(text)} cells; the output is corrupt",
            hint="re-run the Textract job and convert its unmodified output",
        )
    grid = [[text.get((r, c), "") for c in range(1, ncols + 1)] for r in range(1, nrows + 1)]
    spans = _merged(blocks, table, nrows, ncols, marked)
    for row, col, last_row, _, merged_text in spans:
        for r in range(row, last_row + 1):
            grid[r - 1][col - 1] = merged_text
    first, count = _header_rows(grid, marked)
    for row, col, last_row, last_col, merged_text in spans:
        for r in range(row, last_row + 1):
            for c in range(col + 1, last_col + 1):
                in_header = first <= r < first + count
                grid[r - 1][c - 1] = merged_text if in_header else ""
    header = [
        join_header([grid[r][c] for r in range(first - 1, first - 1 + count)]) for c in range(ncols)
    ]
    captions = [join_header(grid[r]) for r in range(first - 1)]
    title = " ".join(blocks.text(t) for t in blocks.related(table, "TABLE_TITLE"))
    footer = " ".join(blocks.text(f) for f in blocks.related(table, "TABLE_FOOTER"))
    return Table(
        header=header,
        body=grid[first - 1 + count :],
        title="\n".join(t for t in [title, *captions] if t.strip()),
        footer=footer,
    )


def _merged(
    blocks: Blocks, table: dict[str, Any], nrows: int, ncols: int, marked: set[tuple[int, int]]
) -> list[tuple[int, int, int, int, str]]:
    """Merged cells as (row, col, last row, last col, text); header spans added to ``marked``."""
    spans = []
    for merged in blocks.related(table, "MERGED_CELL"):
        row, col = as_int(merged.get("RowIndex")), as_int(merged.get("ColumnIndex"))
        if kind(merged) != "MERGED_CELL" or row is None or col is None:
            continue
        if not (1 <= row <= nrows and 1 <= col <= ncols):
            continue
        last_row = min(row + _span(merged, "RowSpan") - 1, nrows)
        last_col = min(col + _span(merged, "ColumnSpan") - 1, ncols)
        parts = (blocks.text(c) for c in blocks.related(merged, "CHILD"))
        spans.append((row, col, last_row, last_col, " ".join(p for p in parts if p)))
        if "COLUMN_HEADER" in entity_types(merged):
            marked.update(
                (r, c) for r in range(row, last_row + 1) for c in range(col, last_col + 1)
            )
    return spans


def _header_rows(grid: list[list[str]], marked: set[tuple[int, int]]) -> tuple[int, int]:
    """(first header row, number of header rows), 1-based.

    A header row has text and all of it in COLUMN_HEADER cells (Textract also marks empty
    margin cells as headers, which must not turn data rows into headers). The header may start
    below a caption row or two (``Previous Employment History`` above the column names); with
    no such row, the first row is the header.
    """

    def is_header(r: int) -> bool:
        filled = [c for c, value in enumerate(grid[r - 1], 1) if value.strip()]
        return bool(filled) and all((r, c) in marked for c in filled)

    for first in range(1, min(_CAPTION_ROWS + 1, len(grid)) + 1):
        if is_header(first):
            count = 1
            while first + count <= len(grid) and is_header(first + count):
                count += 1
            return first, count
    return 1, 1


def join_header(parts: list[str]) -> str:
    """Stacked header cells of one column, repeated text once: ``Earnings / this period``."""
    seen: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return " / ".join(seen)
