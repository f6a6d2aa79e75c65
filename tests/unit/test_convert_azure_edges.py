"""Azure Document Intelligence results in shapes the main tests do not cover: the Python SDK's
``to_dict()`` of a custom model, and span offsets in the unit the result declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.stages.convert.azure.reader import read_azure
from fineprep.stages.convert.sources.base import SourceRow


def rows(path: Path, **options: Any) -> list[SourceRow]:
    found = list(read_azure([str(path)], options))
    assert all(isinstance(i, SourceRow) for i in found), found
    return [i for i in found if isinstance(i, SourceRow)]


def field(value_type: str, value: Any) -> dict[str, Any]:
    return {"value_type": value_type, "value": value, "confidence": 0.9}


def test_sdk_custom_field_names_are_kept_as_written(tmp_path: Path) -> None:
    address = {"street_address": "1 Main St", "postal_code": "98052", "po_box": None}
    result = {
        "api_version": "2023-07-31",
        "model_id": "my-custom-model",
        "content": "Customer Name: Jane Doe",
        "pages": [{"page_number": 1, "lines": [{"content": "Customer Name: Jane Doe"}]}],
        "documents": [
            {
                "doc_type": "my-custom-model",
                "fields": {
                    "customer_name": field("string", "Jane Doe"),
                    "line_2_total": field("string", "7"),
                    "ship_to": field("address", address),
                    "line_items": field(
                        "list", [field("dictionary", {"unit_price": field("float", 2.5)})]
                    ),
                },
            }
        ],
    }
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(result))
    [row] = rows(path)
    assert row.fields["document"]["fields"] == {
        "customer_name": "Jane Doe",
        "line_2_total": "7",
        "ship_to": {"streetAddress": "1 Main St", "postalCode": "98052"},
        "line_items": [{"unit_price": 2.5}],
    }
    assert row.fields["document"]["meta"]["model_id"] == "my-custom-model"


#: Page 1's text is an emoji (two UTF-16 units), an e with a combining accent (two code points,
#: one text element) and " one": 6 text elements, 7 code points, 8 UTF-16 code units.
PAGE_ONE = "\U0001f600e\u0301 one"
LENGTHS = {"textElements": 6, "unicodeCodePoint": 7, "utf16CodeUnit": 8, None: 7}


@pytest.mark.parametrize("unit", list(LENGTHS))
def test_span_offsets_are_read_in_the_declared_unit(tmp_path: Path, unit: str | None) -> None:
    first = LENGTHS[unit]
    result: dict[str, Any] = {
        "apiVersion": "2024-11-30",
        "modelId": "prebuilt-read",
        "content": f"{PAGE_ONE}\nPage two",
        "pages": [
            {"pageNumber": 1, "spans": [{"offset": 0, "length": first}]},
            {"pageNumber": 2, "spans": [{"offset": first + 1, "length": 8}]},
        ],
    }
    if unit is not None:
        result["stringIndexType"] = unit
    path = tmp_path / "spans.json"
    path.write_text(json.dumps(result))
    assert [r.fields["page"]["text"] for r in rows(path, unit="page")] == [PAGE_ONE, "Page two"]
