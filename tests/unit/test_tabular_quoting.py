"""Quotes in delimited text: a malformed quote rejects its row (CSV) or turns quoting off for
the file (TSV), and is never allowed to swallow, merge or rewrite rows without saying so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import InputError
from fineprep.stages.convert.runner import convert
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.sources.csv import read_csv


def _read(tmp_path: Path, name: str, text: str, **options: Any) -> tuple[list[Any], list[str]]:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    notices: list[str] = []
    items = list(read_csv([str(path)], {"notices": notices, **options}))
    return items, notices


def _where(items: list[Any]) -> list[str]:
    return [i.source.rsplit(":", 1)[1] for i in items]


# -- CSV: a quote still open at the end of the file ----------------------------------------
def test_a_quote_open_at_the_end_rejects_its_row_instead_of_swallowing_the_rest(
    tmp_path: Path,
) -> None:
    items, _ = _read(tmp_path, "t.csv", 'prompt,completion\nr2,a\nr3,"b\nr4,c\nr5,d\n')
    assert _where(items) == ["row 2", "row 3"]
    kept, bad = items
    assert isinstance(kept, SourceRow) and kept.fields == {"prompt": "r2", "completion": "a"}
    assert isinstance(bad, SourceReject)
    assert bad.reason.startswith(
        "the quote that opens column 2 (completion) on line 3 is never closed, "
        "so lines 3-5 (to the end of the file) read as one field"
    )
    assert 'double it ("") if it is part of the text' in bad.reason
    assert bad.raw == 'r3,"b\nr4,c\nr5,d'


def test_a_quote_open_on_the_last_line_without_a_newline(tmp_path: Path) -> None:
    items, _ = _read(tmp_path, "t.csv", 'prompt,completion\nr2,a\nr3,"b')
    assert isinstance(items[1], SourceReject) and items[1].source.endswith("row 3")
    assert "opens column 2 (completion) on line 3 is never closed" in items[1].reason
    assert items[1].raw == 'r3,"b'


def test_an_open_quote_after_a_multiline_field_names_its_own_line(tmp_path: Path) -> None:
    text = 'q,a,b\nx,"two\nlines","open\nmore\n'
    items, _ = _read(tmp_path, "t.csv", text)
    assert isinstance(items[0], SourceReject) and items[0].source.endswith("row 2")
    assert "opens column 3 (b) on line 3 is never closed, so lines 3-4" in items[0].reason


def test_an_open_quote_in_a_middle_column_keeps_the_unclosed_hint(tmp_path: Path) -> None:
    items, _ = _read(tmp_path, "t.csv", 'a,b,c\n1,"oops,2\n3,4,5\n')
    assert len(items) == 1 and isinstance(items[0], SourceReject)
    reason = items[0].reason
    assert reason.startswith("row has 2 fields but the header has 3 (a, b, c)")
    assert "a quote may be unclosed" in reason
    assert "the quote that opens column 2 (b) on line 2 is never closed" in reason


def test_a_quote_open_in_the_header_fails_the_file_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"t\.csv:row 1: .*quote that opens column 2"):
        _read(tmp_path, "t.csv", 'a,"b\nx,y\n')


# -- CSV: text after a closing quote --------------------------------------------------------
def test_text_after_a_closing_quote_rejects_the_row_not_rewrites_it(tmp_path: Path) -> None:
    items, _ = _read(tmp_path, "t.csv", 'prompt,completion\n"Hi" she said,ok\nnext,row\n')
    assert _where(items) == ["row 2", "row 3"]
    bad, kept = items
    assert isinstance(bad, SourceReject)
    assert bad.reason.startswith("text follows the closing quote of a quoted field on line 2")
    assert '"say ""hi"" now"' in bad.reason
    assert bad.raw == '"Hi" she said,ok'
    assert isinstance(kept, SourceRow) and kept.fields == {"prompt": "next", "completion": "row"}


def test_a_quote_that_closes_on_a_later_row_does_not_merge_the_rows(tmp_path: Path) -> None:
    # Read loosely, rows 2 and 3 became one row of three fields and were converted.
    items, _ = _read(tmp_path, "t.csv", 'a,b,c\n1,"oops,2\n3,"x",5\n6,7,8\n')
    assert _where(items) == ["row 2", "row 3"]
    bad, kept = items
    assert isinstance(bad, SourceReject)
    assert "a quoted field on lines 2-3" in bad.reason and "a quote may be unclosed" in bad.reason
    assert bad.raw == '1,"oops,2\n3,"x",5'
    assert isinstance(kept, SourceRow) and kept.fields == {"a": "6", "b": "7", "c": "8"}


def test_well_formed_quoting_is_read_as_before(tmp_path: Path) -> None:
    text = 'q,a\n"say ""hi""","x, y"\n"two\r\nlines",z\n'
    items, notices = _read(tmp_path, "t.csv", text)
    assert [i.fields for i in items] == [
        {"q": 'say "hi"', "a": "x, y"},
        {"q": "two\r\nlines", "a": "z"},
    ]
    assert notices == []


def test_the_open_quote_reaches_the_rejects_file_and_the_exit_code(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('prompt,completion\nr2,a\nr3,"b\nr4,c\nr5,d\n', encoding="utf-8")
    result = convert(
        source, output=tmp_path / "o.jsonl", to="prompt-completion", settings=Settings()
    )
    assert (result.records, result.rejected, result.exit_code) == (1, 1, 1)
    records = (tmp_path / "o.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(r) for r in records] == [{"prompt": "r2", "completion": "a"}]
    (reject,) = [json.loads(r) for r in (tmp_path / "o.rejects.jsonl").read_text().splitlines()]
    assert reject["source"] == f"{source}:row 3" and "never closed" in reject["reason"]


# -- TSV ------------------------------------------------------------------------------------
def test_tsv_with_a_malformed_quote_is_read_with_quotes_as_text(tmp_path: Path) -> None:
    text = 'prompt\tcompletion\n"Hi" she said\tok\nx\t"start\ny\tz\n'
    items, notices = _read(tmp_path, "t.tsv", text)
    assert [i.fields for i in items] == [
        {"prompt": '"Hi" she said', "completion": "ok"},
        {"prompt": "x", "completion": '"start'},
        {"prompt": "y", "completion": "z"},
    ]
    assert _where(items) == ["row 2", "row 3", "row 4"]
    path = tmp_path / "t.tsv"
    assert notices == [
        f"{path}: delimiter '\\t'",
        f"{path}:line 2: text follows the closing quote of a quoted cell, so the file is read "
        "without quoting: every quote is part of the text",
    ]


def test_tsv_with_a_quote_never_closed_is_read_with_quotes_as_text(tmp_path: Path) -> None:
    items, notices = _read(tmp_path, "t.tsv", 'a\tb\nx\t"start\ny\tz\n')
    assert [i.fields for i in items] == [{"a": "x", "b": '"start'}, {"a": "y", "b": "z"}]
    assert notices[-1].endswith(
        "t.tsv:line 2: a quote opens a cell and is never closed, so the file is read "
        "without quoting: every quote is part of the text"
    )


def test_tsv_quoted_as_excel_and_pandas_write_it_is_unquoted(tmp_path: Path) -> None:
    text = 'a\tb\n"tab\there"\t"say ""hi"""\n"two\nlines"\tz\nplain\t5" screen\n'
    items, notices = _read(tmp_path, "t.tsv", text)
    assert [i.fields for i in items] == [
        {"a": "tab\there", "b": 'say "hi"'},
        {"a": "two\nlines", "b": "z"},
        {"a": "plain", "b": '5" screen'},
    ]
    assert _where(items) == ["row 2", "row 3", "row 4"]  # a quoted field is one row
    assert notices[-1] == (
        f"{tmp_path / 't.tsv'}:line 2: cells in double quotes are read as quoted, as Excel "
        'and pandas write them: the enclosing quotes are not part of the text and "" is one quote'
    )


def test_tsv_with_quotes_only_inside_cells_needs_no_notice(tmp_path: Path) -> None:
    items, notices = _read(tmp_path, "t.tsv", 'a\tb\n5" screen\tsaid "hi"\n')
    assert items[0].fields == {"a": '5" screen', "b": 'said "hi"'}
    assert notices == [f"{tmp_path / 't.tsv'}: delimiter '\\t'"]


def test_explicit_tab_delimiter_gets_the_same_reading(tmp_path: Path) -> None:
    items, notices = _read(tmp_path, "t.txt", 'a\tb\n"Hi" she said\tok\n', delimiter="tab")
    assert items[0].fields == {"a": '"Hi" she said', "b": "ok"}
    assert "read without quoting" in notices[-1]


def test_tsv_bad_bytes_after_a_quote_still_stream_rows_before_them(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_bytes(b'a\tb\n"q"\tx\n' + b"ok\tfine\n" * 10000 + b"caf\xe9\tx\n")
    stream = read_csv([str(path)], {"encoding": "utf-8"})
    first = next(stream)
    assert isinstance(first, SourceRow) and first.fields == {"a": "q", "b": "x"}
    with pytest.raises(InputError, match=r"\(line 10003\) cannot be decoded as utf-8"):
        list(stream)


def test_a_ragged_row_read_without_quoting_shows_its_quotes_as_written(tmp_path: Path) -> None:
    items, _ = _read(tmp_path, "t.tsv", 'a\tb\n"Hi" she said\tok\nx\t"y\tz\n')
    assert isinstance(items[1], SourceReject)
    assert items[1].raw == 'x\t"y\tz'


def test_windows_line_ends_are_counted_and_left_out_of_the_raw_row(tmp_path: Path) -> None:
    items, _ = _read(tmp_path, "t.csv", 'p,c\r\n"a\r\nb",x\r\n"Hi" x,ok\r\nb,"open\r\n')
    assert _where(items) == ["row 2", "row 3", "row 4"]
    assert items[0].fields == {"p": "a\r\nb", "c": "x"}
    assert isinstance(items[1], SourceReject) and items[1].raw == '"Hi" x,ok'
    assert "quoted field on line 4;" in items[1].reason
    assert isinstance(items[2], SourceReject) and items[2].raw == 'b,"open'
    assert "opens column 2 (c) on line 5 is never closed by the end of the file" in items[2].reason
