"""Excel workbooks (``.xlsx``/``.xlsm``): the first sheet, or the one ``--sheet`` names.

Read with openpyxl in read-only mode (rows stream; a workbook is never loaded whole) and with
cached formula results, which is what a person sees in Excel. The ``<dimension>`` a workbook
stores is not trusted: programs other than Excel leave it stale, and openpyxl would stop at
it, so every row and column the sheet holds is read. Rows and cells are named as Excel names
them (``book.xlsx:Sheet1:row 5``, ``cell C5``) wherever the table starts; columns count from
A, so a blank column left of the table is a column with no header. The header is the first
non-empty row, made usable as for CSV (``column_N`` for a blank header, ``title_2`` for a
repeat), or ``c1``...``cN`` with ``--no-header``.

A blank cell is ``null``, as it is in the workbook (a template that uses it rejects the row,
naming the field, unless it gives a ``default`` or ``--null-as`` says how to write it). A date
is the date alone (``2024-03-01``), as Excel shows it, not a datetime at midnight. A cell
holding an Excel error (``#DIV/0!``, ``#N/A``...) and a value in a column without a header
reject the row: neither is data to train on. So does a formula that has no cached value
(the workbook was written by a program, openpyxl or pandas, and never opened in Excel): its
value is unknown, not blank. Only cells that exist in the sheet's XML and read as empty can be
such formulas, and only for those is the sheet read a second time, with formulas, once in step
with the first reading; a sheet with none is read once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.sources.base import SourceItem, SourceReject, SourceRow
from fineprep.stages.convert.sources.csv import positional_headers, unique_headers

_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})


def read_xlsx(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Stream the rows of one sheet of each workbook (the ``xlsx`` source kind)."""
    for path in paths:
        yield from _read_one(path, options)


def _open(path: str, data_only: bool = True) -> Any:
    try:
        import openpyxl
    except ModuleNotFoundError:
        raise InputError(
            f"{path}: reading Excel workbooks needs openpyxl",
            hint="pip install 'fineprep[xlsx]', or save the sheet as CSV",
        ) from None
    if not Path(path).is_file():
        raise InputError(
            f"{path}: no such file" if not Path(path).exists() else f"{path}: not a file"
        )
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors alike
        raise InputError(
            f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})",
            hint="save it again as .xlsx from Excel, or export the sheet as CSV",
        ) from None


def _sheet(book: Any, path: str, wanted: Any) -> Any:
    names: list[str] = list(book.sheetnames)
    if not names:  # a damaged workbook.xml lists none
        raise InputError(f"{path}: the workbook has no sheets", hint="save it again from Excel")
    if wanted is None or wanted == "":
        return book[names[0]]
    wanted = str(wanted)
    if wanted in names:
        return book[wanted]
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return book[names[int(wanted) - 1]]
    raise InputError(
        f"{path}: no sheet {wanted!r}", hint=f"the sheets are {', '.join(map(repr, names))}"
    )


def _read_one(path: str, options: dict[str, Any]) -> Iterator[SourceItem]:
    notices: list[str] = options.setdefault("notices", [])
    book = _open(path)
    formulas: _Formulas | None = None
    try:
        sheet = _sheet(book, path, options.get("sheet"))
        if len(book.sheetnames) > 1 and not options.get("sheet"):
            notices.append(
                f"{path}: read sheet {sheet.title!r} of {len(book.sheetnames)} "
                "(--sheet picks another)"
            )
        formulas = _Formulas(path, sheet.title)
        yield from _rows(path, sheet, formulas, notices, bool(options.get("no_header")))
    finally:
        if formulas is not None:
            formulas.close()
        book.close()


def _rows(
    path: str, sheet: Any, formulas: _Formulas, notices: list[str], no_header: bool
) -> Iterator[SourceItem]:
    from openpyxl.cell.read_only import EMPTY_CELL

    where = f"{path}:{sheet.title}"
    header: list[str] | None = None
    sheet.reset_dimensions()  # a stale <dimension> would cut rows and columns off
    try:
        # Read-only rows start at A1 (missing rows come as empty ones), so the count is
        # Excel's row number and a cell's position is its column, wherever the table starts.
        for number, row in enumerate(sheet.iter_rows(min_row=1, min_col=1), 1):
            cells = [c.value for c in row]
            while cells and cells[-1] is None:
                cells.pop()
            if not cells:
                continue
            if header is None:
                if not no_header:
                    names = ["" if c is None else str(c) for c in cells]
                    header = unique_headers(names, where, number, notices)
                    continue
                header = positional_headers(len(cells))
            item = _row(f"{where}:row {number}", number, cells, header)
            if isinstance(item, SourceRow) and (len(cells) < len(header) or None in cells):
                # Only a cell present in the XML can hold a formula; a text result may be "".
                written = [
                    i
                    for i, c in enumerate(row[: len(header)], 1)
                    if c is not EMPTY_CELL and c.value is None and c.data_type != "str"
                ]
                if written:
                    item = _uncalculated(item, number, written, formulas, cells)
            yield item
    except InputError:
        raise
    except Exception as exc:  # openpyxl streams XML from the zip: XML, zip and its own errors
        raise InputError(f"{where}: unreadable sheet ({type(exc).__name__}: {exc})") from None
    if header is None:
        raise InputError(f"{where}: the sheet is empty")


def _row(source: str, number: int, cells: list[Any], header: list[str]) -> SourceItem:
    raw = _raw(cells)
    if len(cells) > len(header):
        column = _column_letter(len(header) + 1)
        return SourceReject(source, f"row has a value in column {column}, which has no header", raw)
    for index, value in enumerate(cells, 1):
        if isinstance(value, str) and value in _ERRORS:
            cell = f"{_column_letter(index)}{number}"
            return SourceReject(source, f"cell {cell} holds the Excel error {value}", raw)
    cells = [_as_shown(c) for c in cells] + [None] * (len(header) - len(cells))
    return SourceRow(dict(zip(header, cells, strict=True)), source)


def _raw(cells: list[Any]) -> str:
    return "\t".join("" if c is None else str(c) for c in cells)


def _uncalculated(
    item: SourceRow, number: int, columns: list[int], formulas: _Formulas, cells: list[Any]
) -> SourceItem:
    """The row, or its reject if one of the empty ``columns`` holds a formula Excel never
    calculated: reading it as blank would put a default, or nothing, where a value belongs."""
    for column in columns:
        formula = formulas.at(number, column)
        if formula is not None:
            text = str(getattr(formula, "text", formula))  # array formulas are objects
            shown = text if len(text) <= 60 else f"{text[:57]}..."
            return SourceReject(
                item.source,
                f"cell {_column_letter(column)}{number} holds a formula with no calculated "
                f"value ({shown}): open the workbook in Excel or LibreOffice and save it, so "
                "that its values are calculated",
                _raw(cells),
            )
    return item


class _Formulas:
    """The sheet read a second time, with formulas instead of their results, opened the first
    time a cell may hold one and read forward in step with the rows asked about, so a sheet is
    read at most twice however many cells are looked up."""

    def __init__(self, path: str, title: str) -> None:
        self._path, self._title = path, title
        self._book: Any = None
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        self._number = 0
        self._row: tuple[Any, ...] = ()

    def at(self, number: int, column: int) -> Any:
        """The formula in a cell (``=A1*2``), or ``None`` if it holds none."""
        if self._book is None:
            self._book = _open(self._path, data_only=False)
            sheet = self._book[self._title]
            sheet.reset_dimensions()
            self._rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
        while self._number < number:
            self._row = next(self._rows, ())
            self._number += 1
        return self._row[column - 1] if column <= len(self._row) else None

    def close(self) -> None:
        if self._book is not None:
            self._book.close()


def _as_shown(value: Any) -> Any:
    """Excel has no date type: a date is a datetime at midnight, shown as the date alone."""
    if isinstance(value, datetime) and value.time() == time(0) and value.tzinfo is None:
        return value.date()
    return value


def _column_letter(index: int) -> str:
    """1 -> ``A``, 27 -> ``AA`` (Excel's column names)."""
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name
