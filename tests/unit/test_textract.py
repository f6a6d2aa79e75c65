"""The ``textract`` source: rendering (golden strings), async parts, refusals, robustness."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.sources.base import SOURCES, SourceReject, SourceRow
from fineprep.stages.convert.textract.reader import read_textract, sniff_textract
from tests.conftest import FIXTURES, REALDATA, needs_realdata

TX = FIXTURES / "convert" / "textract"


def rows(path: Path | str | list[str], **options: Any) -> list[SourceRow | SourceReject]:
    """The items of the inputs; an input the reader refuses raises its error here."""
    paths = path if isinstance(path, list) else [str(path)]
    items = list(read_textract(paths, options))
    refused = [i for i in items if isinstance(i, SourceReject) and i.files]
    if refused and refused[0].error is not None:
        raise refused[0].error
    return items


def only_row(path: Path | str, **options: Any) -> SourceRow:
    [item] = rows(path, **options)
    assert isinstance(item, SourceRow), item
    return item


def write(tmp: Path, name: str, obj: Any) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


ANALYZE_TEXT = """# Rental Application

Name: Ana Silva
Phone: 555-0100
Pets

Item
Cost
Due
Rent|Deposit
1,200
May 1
Fee
50

- First month paid
- Keys returned

Page 1"""

ANALYZE_TABLE = """| Item | Cost | Due |
| --- | --- | --- |
| Rent\\|Deposit | 1,200 | May 1 |
| Fee | 50 | May 1 |"""


def test_analyze_document_renders_every_feature() -> None:
    row = only_row(TX / "analyze_document.json")
    doc = row.fields["document"]
    assert row.source == str(TX / "analyze_document.json")
    assert (doc["id"], doc["kind"], doc["pages"], doc["page_numbers"]) == (
        "analyze_document",
        "document-analysis",
        1,
        [1],
    )
    assert doc["text"] == ANALYZE_TEXT
    assert doc["key_values"] == {"Name": "Ana Silva", "Phone": "555-0100", "Pets": "[X]"}
    assert doc["kv_text"] == "Name: Ana Silva\nPhone: 555-0100\nPets: [X]"
    assert doc["key_value_pairs"][0] == {"key": "Name", "value": "Ana Silva"}
    assert doc["tables"] == [ANALYZE_TABLE]
    # RENT has two answers: the more confident one wins; PARKING was not answered.
    assert doc["queries"] == {"RENT": "1,200", "Who signed?": "Ana Silva", "PARKING": ""}
    assert doc["queries_text"] == "RENT: 1,200\nWho signed?: Ana Silva\nPARKING:"
    assert doc["signatures"] == 1
    assert doc["expense"]["summary"] == {} and doc["identity"]["fields"] == {}
    assert row.extra == {"document_id": "analyze_document"}
    orjson.dumps(row.fields)  # plain data only: templates and sidecars can serialise it


def test_page_unit_and_skip_furniture() -> None:
    row = only_row(TX / "analyze_document.json", unit="page", skip_furniture=True)
    assert row.source == f"{TX / 'analyze_document.json'}:page 1"
    page = row.fields["page"]
    assert page["number"] == 1
    assert page["text"] == ANALYZE_TEXT.removesuffix("\n\nPage 1")
    assert page["tables"] == [ANALYZE_TABLE]
    assert page["key_values"]["Pets"] == "[X]"
    assert row.fields["document"]["text"] == page["text"]


def test_lines_without_layout_follow_geometry() -> None:
    doc = only_row(TX / "detect_text.json").fields["document"]
    assert doc["kind"] == "text-detection"
    assert doc["text"] == "first row\nsecond row left\nsecond row right\nthird row"


def test_merged_cells_and_legacy_key_value_blocks() -> None:
    doc = only_row(TX / "table_merged.json").fields["document"]
    assert doc["tables"] == [
        "| Date | Description | Credit | Debit | Balance |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| Previous Balance |  |  |  | 11,000 |\n"
        "| 2022-01-01 | Payment - Credit Card |  | 1,000 | 10,000 |\n"
        "| 2022-01-01 | Payment - Utility |  | 40 | 9,960 |\n"
        "| 2022-01-02 | Deposit | 1,000 |  | 10,960 |\n"
        "| Ending Balance |  |  |  | 10,960 |"
    ]
    assert doc["key_values"] == {"Description": ""}


def test_async_parts_form_one_document_in_any_order() -> None:
    parts = [str(TX / "async" / "part-2.json"), str(TX / "async" / "part-1.json")]
    page_rows = rows(parts, unit="page")
    assert [r.source for r in page_rows] == [
        f"{TX / 'async' / 'part-1.json'}:page 1",
        f"{TX / 'async' / 'part-2.json'}:page 2",
    ]
    first = page_rows[0]
    assert isinstance(first, SourceRow)
    doc = first.fields["document"]
    assert doc["id"] == "5f0c7a1e-job"
    assert doc["text"] == "Quarterly report\nRevenue grew\n\nOutlook is stable"
    assert [r.fields["page"]["text"] for r in page_rows if isinstance(r, SourceRow)] == [
        "Quarterly report\nRevenue grew",
        "Outlook is stable",
    ]
    [whole] = rows(TX / "async")
    assert whole.source == f"{TX / 'async'}/[part-1.json..part-2.json]"


def test_s3_output_layout_is_grouped_by_folder() -> None:
    row = only_row(TX / "s3layout")
    doc = row.fields["document"]
    assert doc["id"] == "9d2e4b7c-job"
    assert doc["pages"] == 2
    assert doc["text"] == "Quarterly report\nRevenue grew\n\nOutlook is stable"


def test_truncated_output_is_refused() -> None:
    with pytest.raises(InputError) as err:
        rows(TX / "truncated")
    message = str(err.value)
    assert str(TX / "truncated" / "part-1.json") in message
    assert "NextToken present but the next part is missing" in message


def test_missing_block_is_refused(tmp_path: Path) -> None:
    part = json.loads((TX / "async" / "part-1.json").read_text())
    del part["NextToken"], part["JobId"]
    path = write(tmp_path, "cut.json", part)
    with pytest.raises(InputError, match=r"cut\.json: LINE block .* which is not in .*truncated"):
        rows(path)


def test_parts_that_end_twice_are_refused(tmp_path: Path) -> None:
    for name in ("part-1.json", "part-2.json"):
        part = json.loads((TX / "async" / name).read_text())
        part.pop("NextToken", None)
        write(tmp_path, name, part)
    with pytest.raises(InputError, match=r"part-1\.json: has no NextToken"):
        rows(tmp_path)


def test_missing_pages_are_refused(tmp_path: Path) -> None:
    doc = json.loads((TX / "s3layout" / "9d2e4b7c-job" / "1").read_text())
    doc.pop("NextToken")
    doc["Blocks"] = [b for b in doc["Blocks"] if b["Id"] == "page-1"]
    doc["Blocks"][0].pop("Relationships")
    doc["DocumentMetadata"]["Pages"] = 3
    path = write(tmp_path, "short.json", doc)
    with pytest.raises(InputError, match=r"declares 3 pages but pages \[2, 3\] have no PAGE"):
        rows(path)


def test_failed_job_is_refused() -> None:
    with pytest.raises(InputError) as err:
        rows(TX / "failed.json")
    assert str(err.value) == (
        f"{TX / 'failed.json'}: job status FAILED ('Unable to read the input document'); "
        "re-run the Textract job and convert its output"
    )


def test_in_progress_and_unknown_status_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "running.json", {"JobStatus": "IN_PROGRESS", "Blocks": []})
    with pytest.raises(InputError, match=r"running\.json: job status IN_PROGRESS"):
        rows(path)
    path = write(tmp_path, "odd.json", {"JobStatus": "PAUSED", "Blocks": []})
    with pytest.raises(InputError, match=r"odd\.json: unknown job status 'PAUSED'"):
        rows(path)


def test_partial_success_needs_allow_partial(tmp_path: Path) -> None:
    doc = json.loads((TX / "detect_text.json").read_text())
    doc["JobStatus"] = "PARTIAL_SUCCESS"
    doc["Warnings"] = [{"ErrorCode": "UNSUPPORTED_DOCUMENT_FORMAT", "Pages": [2]}]
    doc["DocumentMetadata"]["Pages"] = 2
    path = write(tmp_path, "partial.json", doc)
    with pytest.raises(InputError, match=r"PARTIAL_SUCCESS \(UNSUPPORTED_DOCUMENT_FORMAT on pages"):
        rows(path)
    row = only_row(path, allow_partial="yes")
    assert row.fields["document"]["pages"] == 1


def test_nulls_and_unknown_blocks_are_tolerated() -> None:
    doc = only_row(TX / "nulls.json").fields["document"]
    assert doc["text"] == "Hello world\nSecond line"
    assert doc["key_values"] == {"Hello": ""}
    assert doc["tables"] == [] and doc["queries"] == {}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"Blocks": [', r"bad\.json: line 1, column \d+: not valid JSON"),
        (b"", r"bad\.json: empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"bad\.json: line 1, column 1: not valid JSON"),
        (b'{"prompt": "a", "completion": "b"}', r"bad\.json: not an Amazon Textract response"),
        (b'[{"Blocks": []}]', r"bad\.json: not an Amazon Textract response"),
        (b'{"Blocks": {"BlockType": "PAGE"}, "DocumentMetadata": {"Pages": 1}}', "not a list"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        rows(path)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.json: no such file or directory"):
        rows(tmp_path / "nope.json")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no Textract output files"):
        rows(tmp_path)


def test_blank_page_becomes_a_reject(tmp_path: Path) -> None:
    doc = json.loads((TX / "detect_text.json").read_text())
    doc["Blocks"].append({"BlockType": "PAGE", "Id": "page-2", "Page": 2})
    for block in doc["Blocks"]:
        block.setdefault("Page", 1)
    doc["DocumentMetadata"]["Pages"] = 2
    path = write(tmp_path, "scan.json", doc)
    first, second = rows(path, unit="page")
    assert isinstance(first, SourceRow)
    assert second == SourceReject(
        f"{path}:page 2", "no text, fields or image on this page (blank page?)"
    )
    empty = write(tmp_path, "empty.json", {"DocumentMetadata": {"Pages": 0}, "Blocks": []})
    [reject] = rows(empty)
    assert isinstance(reject, SourceReject) and "no text" in reject.reason


def test_corrupt_table_indices_are_refused(tmp_path: Path) -> None:
    doc = json.loads((TX / "analyze_document.json").read_text())
    cells = [b for b in doc["Blocks"] if b["BlockType"] == "CELL"]
    blocks = doc["Blocks"]
    for n in range(len(cells), 200):  # many cells, indices far apart
        blocks.append({"BlockType": "CELL", "Id": f"extra-{n}", "RowIndex": n, "ColumnIndex": n})
    table = next(b for b in blocks if b["BlockType"] == "TABLE")
    table["Relationships"][0]["Ids"] += [f"extra-{n}" for n in range(len(cells), 200)]
    path = write(tmp_path, "corrupt.json", doc)
    with pytest.raises(InputError, match=r"corrupt\.json: table .* the output is corrupt"):
        rows(path)


def test_expense_fields_and_text_without_blocks() -> None:
    row = only_row(TX / "expense.json", unit="page")
    assert row.source == f"{TX / 'expense.json'}:page 1"
    expense = row.fields["document"]["expense"]
    assert expense["summary"] == {
        "VENDOR_NAME": "Corner Bakery",
        "INVOICE_RECEIPT_DATE": "2024-03-01",
        "Table": "Table 4",
        "ADDRESS": "1 Main St\nSpringfield",
        "TOTAL": "$7.50",
    }
    table = (
        "| ITEM | PRICE | QUANTITY |\n| --- | --- | --- |\n"
        "| Croissant | $3.00 |  |\n| Latte \\| large | $4.50 | 1 |"
    )
    assert expense["line_items_table"] == table
    assert expense["line_items"][1] == {"ITEM": "Latte | large", "QUANTITY": "1", "PRICE": "$4.50"}
    summary_text = (
        "VENDOR_NAME: Corner Bakery\nINVOICE_RECEIPT_DATE: 2024-03-01\nTable: Table 4\n"
        "ADDRESS: 1 Main St, Springfield\nTOTAL: $7.50"
    )
    assert expense["summary_text"] == summary_text
    assert row.fields["page"]["text"] == f"{summary_text}\n\n{table}"


def test_analyze_id_fields_and_block_text() -> None:
    doc = only_row(TX / "analyze_id.json").fields["document"]
    assert doc["kind"] == "identity"
    assert doc["text"] == "DRIVER LICENSE\nGARCIA MARIA"
    assert doc["identity"]["fields"] == {
        "FIRST_NAME": "MARIA",
        "LAST_NAME": "GARCIA",
        "DATE_OF_BIRTH": "8/31/1978",
        "ID_TYPE": "DRIVER LICENSE FRONT",
    }
    assert doc["identity"]["text"].startswith("FIRST_NAME: MARIA\nLAST_NAME: GARCIA\n")


def test_several_expense_documents_in_one_response(tmp_path: Path) -> None:
    doc = json.loads((TX / "expense.json").read_text())
    second = copy.deepcopy(doc["ExpenseDocuments"][0])
    second["ExpenseIndex"] = 2
    doc["ExpenseDocuments"].append(second)
    path = write(tmp_path, "two.json", doc)
    got = rows(path)
    assert [r.source for r in got] == [f"{path}:expense 1", f"{path}:expense 2"]
    assert [r.fields["document"]["id"] for r in got if isinstance(r, SourceRow)] == [
        "two-1",
        "two-2",
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"units": "page"}, "unknown option 'units'"),
        ({"unit": "line"}, "unit must be 'document' or 'page'"),
        ({"allow_partial": "maybe"}, "'allow_partial' must be true or false"),
    ],
)
def test_bad_options(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        read_textract([str(TX / "detect_text.json")], options)


def test_an_unusable_file_is_one_reject_and_the_others_convert() -> None:
    items = list(read_textract([str(TX / "detect_text.json"), str(TX / "failed.json")], {}))
    assert [type(i).__name__ for i in items] == ["SourceReject", "SourceRow"]
    refused = items[0]
    assert isinstance(refused, SourceReject)
    assert refused.files == (str(TX / "failed.json"),) and refused.raw is None
    assert "job status FAILED" in refused.reason


def test_registered_and_sniffable() -> None:
    assert SOURCES.get("textract") is read_textract
    for path in TX.rglob("*.json"):
        assert sniff_textract(json.loads(path.read_text())), path
    for obj in ({"prompt": "p", "completion": "c"}, {"messages": []}, [], {"JobStatus": "x"}):
        assert not sniff_textract(obj)


# --- robustness: any mutation of a valid response is converted or refused with InputError ---

BASE = json.loads((TX / "analyze_document.json").read_text())
IDS = [b["Id"] for b in BASE["Blocks"]]
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.sampled_from([*IDS, None, 7]), max_size=3),
    st.just({"BoundingBox": None}),
)
MUTATION = st.tuples(
    st.sampled_from(["drop", "del_key", "set_key", "retype", "rewire", "dup"]),
    st.integers(0, len(IDS) - 1),
    st.sampled_from(
        [
            "BlockType",
            "Id",
            "Text",
            "Geometry",
            "Relationships",
            "EntityTypes",
            "Page",
            "RowIndex",
            "ColumnIndex",
            "RowSpan",
            "ColumnSpan",
            "Query",
            "SelectionStatus",
            "Confidence",
        ]
    ),
    JUNK,
    st.sampled_from(["LAYOUT_LIST", "MERGED_CELL", "KEY", "VALUE", "FUTURE", "PAGE", "CELL"]),
)


def mutate(doc: dict[str, Any], ops: list[tuple[str, int, str, Any, str]]) -> dict[str, Any]:
    blocks = doc["Blocks"]
    for op, index, key, value, new_type in ops:
        if not blocks:
            break
        block = blocks[index % len(blocks)]
        if op == "drop":
            blocks.remove(block)
        elif op == "del_key":
            block.pop(key, None)
        elif op == "set_key":
            block[key] = value
        elif op == "retype":
            block["BlockType"] = new_type
        elif op == "rewire":
            block["Relationships"] = [
                {"Type": key.upper(), "Ids": value},
                {"Type": "CHILD", "Ids": value},
            ]
        else:
            blocks.append(copy.deepcopy(block))
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(MUTATION, min_size=1, max_size=8),
    top=st.sampled_from([None, "metadata", "status"]),
)
def test_mutated_responses_never_crash(ops: list[Any], top: str | None) -> None:
    doc = mutate(copy.deepcopy(BASE), ops)
    if top == "metadata":
        doc["DocumentMetadata"] = {"Pages": ops[0][3]}
    elif top == "status":
        doc["JobStatus"] = None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutated.json"
        path.write_bytes(orjson.dumps(doc))
        for unit in ("document", "page"):
            try:
                items = list(read_textract([str(path)], {"unit": unit}))
            except InputError as exc:
                assert str(path) in str(exc)
                continue
            for item in items:
                assert isinstance(item, SourceRow | SourceReject)
                if isinstance(item, SourceRow):
                    orjson.dumps(item.fields)


# --- real third-party outputs ---

REAL = REALDATA / "textract"
REAL_FILES = [
    "employment-application.json",
    "invoice-expense-response.json",
    "little_women_page_1.json",
    "multi-page-forms-samples-2-page.json",
    "queries_sample.json",
    "table-example-response.json",
    "test_detect_document_text.json",
    "test_layout.json",
    "test_textractor_start_document_text_detection_multipage_pdf_s3.json",
]


@needs_realdata
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_outputs_convert(name: str) -> None:
    raw = json.loads((REAL / name).read_text())
    assert sniff_textract(raw)
    blocks = raw.get("Blocks") or []
    types = {b.get("BlockType") for b in blocks}
    doc = only_row(REAL / name).fields["document"]
    assert doc["text"].strip()
    assert len(doc["tables"]) == sum(b.get("BlockType") == "TABLE" for b in blocks)
    for table in doc["tables"]:
        assert "\n| --- |" in table
    has_kv = bool(types & {"KEY_VALUE_SET", "KEY"})
    assert bool(doc["key_values"]) == has_kv
    pages = rows(REAL / name, unit="page")
    assert len(pages) == doc["pages"] == raw["DocumentMetadata"]["Pages"]
    assert all(isinstance(p, SourceRow) for p in pages)


@needs_realdata
def test_real_failed_response_is_refused() -> None:
    with pytest.raises(InputError, match="FAILED \\('Dummy Status Message'\\)"):
        rows(REAL / "test-failed-response.json")


@needs_realdata
def test_real_specifics(tmp_path: Path) -> None:
    form = only_row(REAL / "employment-application.json").fields["document"]
    assert form["key_values"]["Full Name"] == "Jane Doe"
    assert form["tables"][0].startswith("| Start Date | End Date | Employer Name |")
    queries = only_row(REAL / "queries_sample.json").fields["document"]["queries"]
    assert queries["PAYSTUB_PERIOD_EMPLOYEE_NAME"] == "Alejandro Rosalez"
    assert queries["PAYSTUB_PERIOD_CURRENT_GROSS_PAY"] == "$770.00"
    assert queries["PAYSTUB_PERIOD_START_DATE"] == ""
    assert len(queries) == 9
    expense = only_row(REAL / "invoice-expense-response.json").fields["document"]["expense"]
    assert expense["summary"]["TOTAL"] == "$6231.09"
    assert expense["summary"]["INVOICE_RECEIPT_ID"] == "123PQR456"
    assert len(expense["line_items"]) == 4
    layout = only_row(REAL / "test_layout.json").fields["document"]
    assert "\n## Earnings Statement\n" in layout["text"]
    forms = only_row(REAL / "multi-page-forms-samples-2-page.json").fields["document"]
    assert "| [X] Yes [ ] No |" in forms["tables"][0]
    assert forms["tables"][1].startswith("Previous Employment History\n\n| Start Date |")
    # the whole folder: the failed response is one reject naming its file, the rest convert
    shutil.copytree(REAL, tmp_path / "real")
    items = list(read_textract([str(tmp_path / "real")], {}))
    refused = [i for i in items if isinstance(i, SourceReject) and i.files]
    assert [Path(r.source).name for r in refused] == ["test-failed-response.json"]
    assert sum(isinstance(i, SourceRow) for i in items) == len(list(REAL.glob("*.json"))) - 1
