"""Tables without damage: XLSX, headerless CSV, nulls, control characters, folders of files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import Severity
from fineprep.stages.check.engine import check_files
from fineprep.stages.convert.rows import CONTROL
from fineprep.stages.convert.runner import convert
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.sources.csv import read_csv
from fineprep.stages.convert.sources.detect import plan
from fineprep.stages.convert.sources.xlsx import read_xlsx
from fineprep.stages.convert.templates import RowError, compile_template
from tests.conftest import FIXTURES, needs_tokenizer

TABULAR = FIXTURES / "convert" / "tabular"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# -- XLSX -----------------------------------------------------------------------------------
def test_xlsx_rows_blank_cells_errors_and_stray_values() -> None:
    items = list(read_xlsx([str(TABULAR / "tickets.xlsx")], {}))
    where = f"{TABULAR / 'tickets.xlsx'}:Tickets"
    assert [i.source for i in items] == [f"{where}:row {n}" for n in (2, 3, 4, 5)]
    first, blank, error, stray = items
    assert isinstance(first, SourceRow) and first.fields["ticket"] == 101
    assert str(first.fields["opened"]) == "2024-03-01"  # a date, as Excel shows it
    assert isinstance(blank, SourceRow) and blank.fields["reply"] is None
    assert isinstance(error, SourceReject)
    assert error.reason == "cell C4 holds the Excel error #DIV/0!"
    assert isinstance(stray, SourceReject)
    assert stray.reason == "row has a value in column E, which has no header"


def test_xlsx_sheet_by_name_or_number_and_without_header() -> None:
    path = str(TABULAR / "tickets.xlsx")
    by_name = list(read_xlsx([path], {"sheet": "Notes"}))
    assert [i.fields for i in by_name if isinstance(i, SourceRow)] == [
        {"prompt": "Say hi", "completion": "hi"}
    ]
    headerless = list(read_xlsx([path], {"sheet": "2", "no_header": True}))
    assert headerless[0].fields == {"c1": "prompt", "c2": "completion"}
    assert headerless[0].source.endswith(":Notes:row 1")
    with pytest.raises(InputError, match=r"no sheet 'Summary'.*the sheets are 'Tickets', 'Notes'"):
        list(read_xlsx([path], {"sheet": "Summary"}))


def test_xlsx_notice_names_the_sheet_read() -> None:
    notices: list[str] = []
    list(read_xlsx([str(TABULAR / "tickets.xlsx")], {"notices": notices}))
    assert notices == [
        f"{TABULAR / 'tickets.xlsx'}: read sheet 'Tickets' of 2 (--sheet picks another)"
    ]


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"bad\.xlsx: not a readable Excel workbook"):
        list(read_xlsx([str(bad)], {}))


# -- headerless CSV -------------------------------------------------------------------------
def test_headerless_csv_names_columns_by_position() -> None:
    items = list(read_csv([str(TABULAR / "headerless.csv")], {"no_header": True}))
    assert items[0] == SourceRow({"c1": "Capital of France?", "c2": "Paris"}, items[0].source)
    assert items[0].source.endswith("headerless.csv:row 1")
    assert isinstance(items[2], SourceReject)
    assert items[2].reason == "row has 1 fields but the header has 2 (c1, c2)"


def test_headerless_csv_converts_end_to_end(tmp_path: Path) -> None:
    result = convert(
        TABULAR / "headerless.csv",
        output=tmp_path / "o.jsonl",
        to="prompt-completion",
        prompt="c1",
        completion="c2",
        no_header=True,
        settings=Settings(),
    )
    assert (result.records, result.rejected) == (2, 1)
    assert _lines(tmp_path / "o.jsonl")[1] == {"prompt": "2 + 2?", "completion": "4"}


# -- nulls ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "fields", "expected"),
    [
        ("{{ q }} ({{ note | default('no note') }})", {"q": "a", "note": None}, "a (no note)"),
        ("{{ q }}{% if note %} [{{ note }}]{% endif %}", {"q": "a", "note": None}, "a"),
        ("{{ q }} {{ 'n/a' if note is not defined else note }}", {"q": "a", "note": None}, "a n/a"),
        ("{{ m.x | default('-') }}", {"m": {"x": None}}, "-"),
        ("{{ v | default('-') }}", {"v": float("nan")}, "-"),
    ],
)
def test_templates_can_say_how_to_write_a_null(
    template: str, fields: dict[str, Any], expected: str
) -> None:
    assert compile_template("prompt", template).text(fields) == expected


@pytest.mark.parametrize(
    ("template", "fields", "reason"),
    [
        ("{{ q }} {{ note }}", {"q": "a", "note": None}, "field 'note' is null"),
        ("note", {"note": None}, "field 'note' is null"),
        ("{{ note }}", {"note": float("nan")}, "field 'note' is null"),
        ("{{ m.x }}!", {"m": {"x": None}}, "field 'x' is null"),
        ("{% for v in vs %}{{ v }}{% endfor %}", {"vs": ["a", None]}, "printed a null value"),
        ("{{ total + 1 }}", {"total": None}, "field 'total' is null"),
        ("{{ note[0] }}", {"note": None}, "field 'note' is null"),
    ],
)
def test_a_printed_null_rejects_the_row_naming_the_field(
    template: str, fields: dict[str, Any], reason: str
) -> None:
    with pytest.raises(RowError, match=re.escape(reason)):
        compile_template("prompt", template).text(fields)


def test_null_as_renders_every_null(tmp_path: Path) -> None:
    template = compile_template("prompt", "{{ q }} [{{ note }}]", null_as="none")
    assert template.text({"q": "a", "note": None}) == "a [none]"
    assert compile_template("c", "note", null_as="-").text({"note": None}) == "-"


def test_null_fields_never_become_the_text_none(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    result = convert(
        TABULAR / "nulls.jsonl",
        output=out,
        to="prompt-completion",
        prompt="{{ question }} ({{ note }})",
        completion="answer",
        settings=Settings(),
    )
    assert (result.records, result.rejected) == (2, 2)
    assert "None" not in out.read_text("utf-8")
    reasons = [r["reason"] for r in _lines(tmp_path / "o.rejects.jsonl")]
    assert reasons == [
        "field 'note' is null; say how to write it: {{ note | default('...') }} in the "
        "template, or --null-as TEXT",
        "field 'answer' is null; say how to write it: {{ answer | default('...') }} in the "
        "template, or --null-as TEXT",
    ]
    rejects = _lines(tmp_path / "o.rejects.jsonl")
    assert [r["source"].rsplit(":", 1)[1] for r in rejects] == ["line 2", "line 3"]
    again = convert(
        TABULAR / "nulls.jsonl",
        output=out,
        to="prompt-completion",
        prompt="{{ question }} ({{ note }})",
        completion="answer",
        null_as="unknown",
        settings=Settings(),
    )
    assert (again.records, again.rejected) == (4, 0)
    assert _lines(out)[2]["completion"] == "unknown"


# -- control characters ---------------------------------------------------------------------
def test_control_pattern_is_the_one_check_reports() -> None:
    from fineprep.stages.check.rules.content import _CONTROL

    assert CONTROL.pattern == _CONTROL.pattern


def test_control_characters_are_removed_and_counted_per_row(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    result = convert(
        TABULAR / "encodings" / "reviews-gb18030.csv",
        output=out,
        model="nova-micro",
        prompt="review",
        completion="label",
        settings=Settings(),
    )
    assert result.exit_code == 0 and result.control_row_count == 1
    assert result.control_chars == {"\x08": 1}
    summary = "\n".join(result.summary())
    assert "removed 1 control characters (U+0008 x1) from 1 rows: " in summary
    assert "reviews-gb18030.csv:row 3 (1)" in summary
    meta = _lines(tmp_path / "o.meta.jsonl")
    assert meta[1]["control_chars_removed"] == 1 and "control_chars_removed" not in meta[0]
    assert "\x08" not in out.read_text("utf-8")
    checked = check_files([str(out)], Settings(model="nova-micro", ignore=["N001"]))
    assert [f.code for f in checked.findings if f.severity is Severity.ERROR] == []


def test_control_characters_can_reject_the_row_instead(tmp_path: Path) -> None:
    result = convert(
        TABULAR / "nulls.jsonl",
        output=tmp_path / "o.jsonl",
        to="prompt-completion",
        prompt="question",
        completion="{{ answer | default('-') }}",
        control_chars="reject",
        settings=Settings(),
    )
    assert (result.records, result.rejected) == (3, 1)
    reason = _lines(tmp_path / "o.rejects.jsonl")[0]["reason"]
    assert reason.startswith("the record text holds 1 control characters (U+001B x1)")


def test_control_chars_option_is_checked() -> None:
    with pytest.raises(ConfigError, match="expected one of strip, reject"):
        convert("x.csv", output="o.jsonl", control_chars="keep", settings=Settings())


# -- folders --------------------------------------------------------------------------------
@needs_tokenizer
def test_a_folder_reports_every_bad_file_and_converts_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(5):
        (folder / f"good-{n}.csv").write_text(f"prompt,completion\nq{n},a{n}\n")
    (folder / "bad-1.csv").write_bytes(b"prompt,completion\nq,\x00\x00\n")
    (folder / "bad-2.json").write_text("{not json")
    (folder / "bad-3.csv").write_text("")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4")
    (folder / ".hidden.csv").write_text("x\n")
    result = convert(
        folder, output=tmp_path / "o.jsonl", to="prompt-completion", settings=Settings()
    )
    assert (result.records, result.files, result.files_failed) == (5, 8, 3)
    assert result.exit_code == 1
    failed = sorted(Path(where).name for where, _ in result.failed_files)
    assert failed == ["bad-1.csv", "bad-2.json", "bad-3.csv"]
    rejects = _lines(tmp_path / "o.rejects.jsonl")
    assert len(rejects) == 3 and all(r["raw"] is None for r in rejects)
    by_file = {Path(r["source"]).name: r["reason"] for r in rejects}
    assert "contains NUL bytes" in by_file["bad-1.csv"]
    assert "invalid JSON" in by_file["bad-2.json"]
    assert "empty file" in by_file["bad-3.csv"]
    summary = "\n".join(result.summary())
    assert "files: 5 read, 3 failed" in summary
    assert f"{folder / 'scan.pdf'}: skipped, not an input file this reads" in summary


def test_plan_expands_folders_in_natural_order(tmp_path: Path) -> None:
    for name in ("p-10.csv", "p-2.csv", "p-1.csv"):
        (tmp_path / name).write_text("a,b\n1,2\n")
    found = plan([str(tmp_path)], None)
    assert [Path(p).name for p in found.files] == ["p-1.csv", "p-2.csv", "p-10.csv"]
    assert found.groups == [("csv", found.files)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
        | st.sampled_from("\x00\x08\x1b\x7f\x85\x9f\\b")
    )
)
def test_the_json_prefilter_never_misses_a_control_character(text: str) -> None:
    import orjson

    from fineprep.stages.convert.rows import _IN_JSON

    if CONTROL.search(text):
        assert _IN_JSON.search(orjson.dumps({"text": text}))
