"""Workbooks as other programs write them: a stale ``<dimension>``, a table that does not start
at A1, formulas never calculated. Rows keep Excel's numbers and no cell is lost or guessed."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl")

from fineprep.core.errors import InputError  # noqa: E402
from fineprep.stages.convert.sources.base import SourceReject, SourceRow  # noqa: E402
from fineprep.stages.convert.sources.xlsx import read_xlsx  # noqa: E402

SHEET = "xl/worksheets/sheet1.xml"


def _save(path: Path, cells: dict[str, Any]) -> Path:
    book = openpyxl.Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    book.save(path)
    return path


def _rewrite(path: Path, edit: Any) -> Path:
    """The workbook with its first sheet's XML passed through ``edit``."""
    out = path.with_name(f"edited-{path.name}")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, edit(data) if item.filename == SHEET else data)
    return out


def _read(path: Path, **options: Any) -> tuple[list[Any], list[str]]:
    notices: list[str] = []
    return list(read_xlsx([str(path)], {"notices": notices, **options})), notices


def _numbers(items: list[Any]) -> list[int]:
    return [int(i.source.rsplit(" ", 1)[1]) for i in items]


# -- the stored dimension -------------------------------------------------------------------
def test_a_stale_dimension_loses_no_row_or_column(tmp_path: Path) -> None:
    cells = {"A1": "prompt", "B1": "completion", "C1": "label"}
    for n in range(2, 7):
        cells.update({f"A{n}": f"p{n}", f"B{n}": f"c{n}", f"C{n}": f"l{n}"})
    book = _save(tmp_path / "t.xlsx", cells)
    stale = _rewrite(
        book, lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A2"', xml)
    )
    items, _ = _read(stale)
    assert _numbers(items) == [2, 3, 4, 5, 6]
    assert items[4].fields == {"prompt": "p6", "completion": "c6", "label": "l6"}


def test_rows_stream_without_a_stored_dimension(tmp_path: Path) -> None:
    # Damage near the end of the sheet: rows before it come out before the damage is reached,
    # so nothing reads the whole sheet up front to size it.
    cells = {"A1": "prompt", "B1": "completion"}
    for n in range(2, 3002):
        cells.update({f"A{n}": f"p{n}", f"B{n}": f"c{n}"})
    book = _save(tmp_path / "t.xlsx", cells)
    cut = _rewrite(book, lambda xml: xml[: xml.index(b'<row r="2990"')] + b"<row r=")
    stream = read_xlsx([str(cut)], {})
    first = next(stream)
    assert isinstance(first, SourceRow) and first.source.endswith("row 2")
    with pytest.raises(InputError, match="unreadable sheet"):
        list(stream)


# -- where the table is ---------------------------------------------------------------------
def test_rows_and_cells_are_numbered_as_excel_numbers_them(tmp_path: Path) -> None:
    book = _save(
        tmp_path / "t.xlsx",
        {"B3": "prompt", "C3": "completion", "B5": "a", "C5": "1", "B9": "b", "C9": "2",
         "B11": "c", "C11": "=1/0"},
    )  # fmt: skip
    error = _rewrite(
        book,
        lambda xml: re.sub(
            rb"<c r=\"C11\"><f>1/0</f><v\s*/>", b'<c r="C11" t="e"><f>1/0</f><v>#DIV/0!</v>', xml
        ),
    )
    items, notices = _read(error)
    where = f"{error}:Sheet"
    assert [i.source for i in items] == [f"{where}:row {n}" for n in (5, 9, 11)]
    assert items[0].fields == {"column_1": None, "prompt": "a", "completion": "1"}
    assert isinstance(items[2], SourceReject)
    assert items[2].reason == "cell C11 holds the Excel error #DIV/0!"
    assert notices == [f"{where}:row 3: column 1 has no header; named 'column_1'"]


def test_a_stray_value_names_its_true_column_and_row(tmp_path: Path) -> None:
    book = _save(tmp_path / "t.xlsx", {"C4": "q", "D4": "a", "C6": "x", "D6": "y", "E6": "z"})
    items, _ = _read(book)
    assert _numbers(items) == [6]
    assert items[0].reason == "row has a value in column E, which has no header"


def test_headerless_sheet_starting_below_row_one(tmp_path: Path) -> None:
    items, _ = _read(_save(tmp_path / "t.xlsx", {"A4": "q", "B4": "a", "A7": "r"}), no_header=True)
    assert _numbers(items) == [4, 7]
    assert items[1].fields == {"c1": "r", "c2": None}


# -- formulas -------------------------------------------------------------------------------
def _formulas(tmp_path: Path) -> Path:
    book = _save(
        tmp_path / "t.xlsx",
        {"A1": "prompt", "B1": "completion", "A2": "never calculated", "B2": "=1+1",
         "A3": "calculated", "B3": "=2+2", "A4": "empty text", "B4": '=""', "A5": "blank"},
    )  # fmt: skip

    def calculate(xml: bytes) -> bytes:
        xml = xml.replace(b'<c r="B3"><f>2+2</f><v /></c>', b'<c r="B3"><f>2+2</f><v>4</v></c>')
        xml = xml.replace(
            b'<c r="B4"><f>""</f><v /></c>', b'<c r="B4" t="str"><f>""</f><v></v></c>'
        )
        return re.sub(rb"(<c r=\"A5\".*?</c>)", rb'\1<c r="B5" s="0" />', xml)  # styled, empty

    return _rewrite(book, calculate)


def test_a_formula_never_calculated_rejects_the_row_naming_the_cell(tmp_path: Path) -> None:
    items, _ = _read(_formulas(tmp_path))
    assert _numbers(items) == [2, 3, 4, 5]
    uncalculated, calculated, empty, blank = items
    assert isinstance(uncalculated, SourceReject)
    assert uncalculated.reason == (
        "cell B2 holds a formula with no calculated value (=1+1): open the workbook in Excel "
        "or LibreOffice and save it, so that its values are calculated"
    )
    assert isinstance(calculated, SourceRow) and calculated.fields["completion"] == 4
    assert isinstance(empty, SourceRow) and empty.fields["completion"] is None
    assert isinstance(blank, SourceRow) and blank.fields["completion"] is None


def test_formulas_are_looked_up_only_for_cells_that_may_hold_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    load = openpyxl.load_workbook

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(kwargs.get("data_only", False))
        return load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    plain = _save(tmp_path / "plain.xlsx", {"A1": "q", "B1": "a", "A2": "x", "A3": "y", "B3": "z"})
    _read(plain)
    assert opened == [True]  # a missing cell cannot hold a formula: one reading
    _read(_formulas(tmp_path))
    assert opened == [True, True, False]
