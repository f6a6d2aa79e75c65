"""Excel workbooks (``.xlsx``/``.xlsm``): the first sheet, or the one ``--sheet`` names.

Read with openpyxl in read-only mode (rows stream; a workbook is never loaded whole) and with
cached formula results, which is what a person sees in Excel. Rows are numbered as Excel
numbers them (``book.xlsx:Sheet1:row 5``); the header is the first non-empty row, made usable
as for CSV (``column_N`` for a blank header, ``title_2`` for a repeat), or ``c1``...``cN`` with
``--no-header``.

A blank cell is ``null``, as it is in the workbook (a template that uses it rejects the row,
naming the field, unless it gives a ``default`` or ``--null-as`` says how to write it). A date
is the date alone (``2024-03-01``), as Excel shows it, not a datetime at midnight. A cell
holding an Excel error (``#DIV/0!``, ``#N/A``...) and a value in a column without a header
reject the row: neither is data to train on. A formula that was never calculated in Excel has
no cached value and reads as blank.
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


def _open(path: str) -> Any:
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
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
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
    try:
        sheet = _sheet(book, path, options.get("sheet"))
        if len(book.sheetnames) > 1 and not options.get("sheet"):
            notices.append(
                f"{path}: read sheet {sheet.title!r} of {len(book.sheetnames)} "
                "(--sheet picks another)"
            )
        yield from _rows(path, sheet, notices, bool(options.get("no_header")))
    finally:
        book.close()


def _rows(path: str, sheet: Any, notices: list[str], no_header: bool) -> Iterator[SourceItem]:
    where = f"{path}:{sheet.title}"
    header: list[str] | None = None
    first = sheet.min_row or 1
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), first):
            cells = list(values)
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
            yield _row(f"{where}:row {number}", cells, header)
    except InputError:
        raise
    except Exception as exc:  # openpyxl streams XML from the zip: XML, zip and its own errors
        raise InputError(f"{where}: unreadable sheet ({type(exc).__name__}: {exc})") from None
    if header is None:
        raise InputError(f"{where}: the sheet is empty")


def _row(source: str, cells: list[Any], header: list[str]) -> SourceItem:
    raw = "\t".join("" if c is None else str(c) for c in cells)
    if len(cells) > len(header):
        column = _column_letter(len(header) + 1)
        return SourceReject(source, f"row has a value in column {column}, which has no header", raw)
    for index, value in enumerate(cells, 1):
        if isinstance(value, str) and value in _ERRORS:
            cell = f"{_column_letter(index)}{source.rsplit(' ', 1)[1]}"
            return SourceReject(source, f"cell {cell} holds the Excel error {value}", raw)
    cells = [_as_shown(c) for c in cells] + [None] * (len(header) - len(cells))
    return SourceRow(dict(zip(header, cells, strict=True)), source)


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
