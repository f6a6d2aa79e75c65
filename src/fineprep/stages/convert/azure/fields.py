"""Azure AI Document Intelligence fields and tables as plain values and grids.

A ``DocumentField`` holds its value in a key named by its type (``valueString``,
``valueCurrency``, ``valueArray``, ``valueObject``...); the value becomes plain JSON (an array of
fields a list, an object of fields a dict, a currency ``{"amount", "currencyCode"}``), and a field
the service found no value for is left out. The Python SDK's ``to_dict()`` (``value_type`` and
``value``) is read too.

Tables come as cells with 0-based ``rowIndex``/``columnIndex``, spans and a ``kind``
(``columnHeader``...). They are laid out the way the Textract tables are: a merged cell's text is
repeated down the rows it spans and written once across columns, except in the header, where it
is repeated so that stacked headers read ``Earnings / rate``; the header is the run of leading
rows whose cells are all column headers, or the first row. The table is as wide as its
``columnCount`` says; body rows without any text are left out (they hold nothing to learn).
"""

from __future__ import annotations

from typing import Any

from fineprep.stages.convert.document import Table, one_line
from fineprep.stages.convert.textract.files import as_dict, as_int, as_list, as_str
from fineprep.stages.convert.textract.tables import join_header

_SCALARS = (
    "valueString",
    "valueNumber",
    "valueInteger",
    "valueDate",
    "valueTime",
    "valuePhoneNumber",
    "valueCountryRegion",
    "valueSelectionMark",
    "valueSignature",
    "valueBoolean",
    "valueSelectionGroup",
)
#: A larger grid than this many times its cells means corrupt indices.
_SLACK = 10_000


def field_value(field: Any) -> Any:
    """The plain value of one field, or None when the service found none."""
    spec = as_dict(field)
    for key in _SCALARS:
        if spec.get(key) is not None:
            return spec[key]
    if isinstance(spec.get("valueArray"), list):
        items = [field_value(f) for f in spec["valueArray"]]
        return [i for i in items if i is not None] or None
    if isinstance(spec.get("valueObject"), dict):
        return fields_of(spec["valueObject"]) or None
    for key in ("valueCurrency", "valueAddress"):
        if isinstance(spec.get(key), dict):
            return {k: v for k, v in spec[key].items() if v is not None} or None
    if "valueType" in spec:  # the SDK's to_dict()
        return _sdk_value(spec)
    content = spec.get("content")
    return content if isinstance(content, str) and content.strip() else None


def _sdk_value(spec: dict[str, Any]) -> Any:
    value = spec.get("value")
    if spec.get("valueType") == "list" and isinstance(value, list):
        items = [field_value(f) for f in value]
        return [i for i in items if i is not None] or None
    if spec.get("valueType") == "dictionary" and isinstance(value, dict):
        return fields_of(value) or None
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None} or None
    return value if value is not None else spec.get("content")


def fields_of(fields: Any) -> dict[str, Any]:
    """A document's (or object field's) fields with values, in the service's order."""
    out: dict[str, Any] = {}
    for name, field in as_dict(fields).items():
        value = field_value(field)
        if value is not None:
            out[str(name)] = value
    return out


def page_of(item: Any, default: int = 1) -> int:
    """The page an element is on: its first bounding region's ``pageNumber``."""
    regions = as_list(as_dict(item).get("boundingRegions"))
    number = as_int(as_dict(regions[0]).get("pageNumber")) if regions else None
    return number if number is not None and number >= 1 else default


def build_table(table: dict[str, Any]) -> Table | None:
    """The table's grid, or None for a table without cells."""
    cells = [as_dict(c) for c in as_list(table.get("cells"))]
    text: dict[tuple[int, int], str] = {}
    spans: list[tuple[int, int, int, int]] = []
    headers: set[tuple[int, int]] = set()
    for cell in cells:
        row, col = as_int(cell.get("rowIndex")), as_int(cell.get("columnIndex"))
        if row is None or col is None or row < 0 or col < 0:
            continue
        text[(row, col)] = _cell_text(as_str(cell.get("content")))
        last_row = row + max(as_int(cell.get("rowSpan")) or 1, 1) - 1
        last_col = col + max(as_int(cell.get("columnSpan")) or 1, 1) - 1
        if (last_row, last_col) != (row, col):
            spans.append((row, col, last_row, last_col))
        if cell.get("kind") in ("columnHeader", "stubHead"):
            headers.update(
                (r, c) for r in range(row, last_row + 1) for c in range(col, last_col + 1)
            )
    if not text:
        return None
    declared = (as_int(table.get("rowCount")) or 0, as_int(table.get("columnCount")) or 0)
    nrows = max([r for r, _ in text] + [s[2] for s in spans]) + 1
    ncols = max([c for _, c in text] + [s[3] for s in spans] + [declared[1] - 1]) + 1
    if nrows * ncols > 4 * len(text) + _SLACK:
        return None
    grid = [[text.get((r, c), "") for c in range(ncols)] for r in range(nrows)]
    count = 0
    while count < nrows and _is_header(grid[count], count, headers):
        count += 1
    count = max(count, 1)
    for row, col, last_row, last_col in spans:
        value = grid[row][col]
        for r in range(row, last_row + 1):
            for c in range(col, last_col + 1):
                if (r, c) != (row, col):
                    grid[r][c] = value if r < count or c == col else ""
    header = [join_header([grid[r][c] for r in range(count)]) for c in range(ncols)]
    body = [row for row in grid[count:] if any(cell.strip() for cell in row)]
    caption = one_line(as_str(as_dict(table.get("caption")).get("content")), sep=" ")
    notes = [as_str(as_dict(f).get("content")) for f in as_list(table.get("footnotes"))]
    return Table(header, body, title=caption, footer=" ".join(n for n in notes if n))


def _is_header(row: list[str], r: int, headers: set[tuple[int, int]]) -> bool:
    filled = [c for c, value in enumerate(row) if value.strip()]
    return bool(filled) and all((r, c) in headers for c in filled)


def _cell_text(content: str) -> str:
    return selection_marks(one_line(content, sep=" "))


def selection_marks(text: str) -> str:
    """``:selected:``/``:unselected:`` marks as ``[X]``/``[ ]``, as Textract checkboxes are."""
    return text.replace(":unselected:", "[ ]").replace(":selected:", "[X]")
