"""AnalyzeExpense fields in expense groups (GroupProperties) are named by their group, so that
the vendor's NAME and the bill-to NAME keep their meaning whatever their order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.textract.reader import read_textract


def summary_field(ftype: str, value: str, *groups: str) -> dict[str, Any]:
    field: dict[str, Any] = {
        "Type": {"Text": ftype, "Confidence": 99},
        "ValueDetection": {"Text": value, "Confidence": 99},
        "PageNumber": 1,
    }
    if groups:
        field["GroupProperties"] = [{"Types": [g], "Id": g.lower()} for g in groups]
    return field


def summary(tmp_path: Path, fields: list[dict[str, Any]]) -> dict[str, str]:
    response = {
        "DocumentMetadata": {"Pages": 1},
        "AnalyzeExpenseModelVersion": "1.0",
        "ExpenseDocuments": [{"ExpenseIndex": 1, "SummaryFields": fields}],
    }
    path = tmp_path / "expense.json"
    path.write_text(json.dumps(response))
    [row] = read_textract([str(path)], {})
    assert isinstance(row, SourceRow)
    found: dict[str, str] = row.fields["document"]["expense"]["summary"]
    return found


def test_grouped_fields_are_named_by_their_group(tmp_path: Path) -> None:
    found = summary(
        tmp_path,
        [
            summary_field("NAME", "Bob Buyer", "RECEIVER_BILL_TO"),
            summary_field("NAME", "Acme Supplies", "VENDOR"),
            summary_field("ADDRESS", "1 Vendor Rd", "VENDOR"),
            summary_field("NAME", "Carol Ship", "RECEIVER_SHIP_TO"),
            summary_field("TOTAL", "$10.00"),
            summary_field("TOTAL", "$12.00"),
        ],
    )
    assert found == {
        "RECEIVER_BILL_TO NAME": "Bob Buyer",
        "VENDOR NAME": "Acme Supplies",
        "VENDOR ADDRESS": "1 Vendor Rd",
        "RECEIVER_SHIP_TO NAME": "Carol Ship",
        "TOTAL": "$10.00",
        "TOTAL (2)": "$12.00",
    }


def test_a_field_in_several_groups_names_each(tmp_path: Path) -> None:
    found = summary(tmp_path, [summary_field("ADDRESS", "9 Main St", "VENDOR", "VENDOR_REMIT_TO")])
    assert found == {"VENDOR VENDOR_REMIT_TO ADDRESS": "9 Main St"}
