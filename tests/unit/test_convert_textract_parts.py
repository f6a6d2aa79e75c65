"""Async Textract results saved one file per page of results, without a JobId (as
GetDocumentAnalysis returns them): joined by their block references and NextToken chain."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import InputError
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.textract.reader import read_textract
from tests.conftest import FIXTURES, REALDATA, needs_realdata

ASYNC = FIXTURES / "convert" / "textract" / "async"


def parts() -> list[dict[str, Any]]:
    """The two fixture parts as the API returns them: no JobId."""
    out = []
    for n in (1, 2):
        part = json.loads((ASYNC / f"part-{n}.json").read_text())
        del part["JobId"]
        out.append(part)
    return out


def write(folder: Path, name: str, obj: Any) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(obj))
    return str(folder / name)


def items(paths: list[str], **options: Any) -> list[SourceRow | SourceReject]:
    return list(read_textract(paths, options))


def refused(found: list[SourceRow | SourceReject]) -> list[SourceReject]:
    return [i for i in found if isinstance(i, SourceReject)]


def texts(found: list[SourceRow | SourceReject]) -> list[str]:
    return [i.fields["page"]["text"] for i in found if isinstance(i, SourceRow)]


def test_parts_that_refer_to_each_other_are_one_document(tmp_path: Path) -> None:
    first, second = parts()
    write(tmp_path, "response-1.json", first)
    write(tmp_path, "response-2.json", second)
    found = items([str(tmp_path)], unit="page")
    assert not refused(found)
    assert [i.source for i in found] == [
        f"{tmp_path}/response-1.json:page 1",
        f"{tmp_path}/response-2.json:page 2",
    ]
    assert texts(found) == ["Quarterly report\nRevenue grew", "Outlook is stable"]
    [whole] = items([str(tmp_path)])
    assert isinstance(whole, SourceRow)
    assert whole.source == f"{tmp_path}/[response-1.json..response-2.json]"
    assert whole.fields["document"]["id"] == "response"
    assert whole.fields["document"]["text"] == "Quarterly report\nRevenue grew\n\nOutlook is stable"


def test_order_comes_from_the_pages_not_the_names(tmp_path: Path) -> None:
    first, second = parts()
    write(tmp_path, "b.json", first)
    write(tmp_path, "a.json", second)
    found = items([str(tmp_path / "a.json"), str(tmp_path / "b.json")], unit="page")
    assert [i.source for i in found] == [f"{tmp_path}/b.json:page 1", f"{tmp_path}/a.json:page 2"]


def boundary_parts() -> list[dict[str, Any]]:
    """The parts split exactly between the pages: no block refers to the other file."""
    first, second = parts()
    first["Blocks"].append(second["Blocks"].pop(0))
    return [first, second]


def test_parts_split_at_a_page_boundary_are_joined(tmp_path: Path) -> None:
    first, second = boundary_parts()
    write(tmp_path, "out-2.json", second)
    write(tmp_path, "out-1.json", first)
    write(tmp_path, "other.json", json.loads((ASYNC.parent / "detect_text.json").read_text()))
    found = items([str(tmp_path)], unit="page")
    assert not refused(found)
    assert texts(found)[-2:] == ["Quarterly report\nRevenue grew", "Outlook is stable"]
    assert [i.source for i in found][-2:] == [
        f"{tmp_path}/out-1.json:page 1",
        f"{tmp_path}/out-2.json:page 2",
    ]


def test_a_part_that_could_continue_two_outputs_is_refused(tmp_path: Path) -> None:
    first, second = boundary_parts()
    write(tmp_path, "start.json", first)
    write(tmp_path, "end-a.json", second)
    write(tmp_path, "end-b.json", copy.deepcopy(second))
    found = items([str(tmp_path)])
    reasons = {str(r.error) for r in refused(found)}
    assert any(
        "start.json: has a NextToken" in r and "end-a.json" in r and "end-b.json" in r
        for r in reasons
    ), reasons
    assert not [i for i in found if isinstance(i, SourceRow)]


def test_two_ends_that_refer_to_each_other_are_refused(tmp_path: Path) -> None:
    first, second = parts()
    first.pop("NextToken")
    write(tmp_path, "r1.json", first)
    write(tmp_path, "r2.json", second)
    with pytest.raises(InputError, match=r"r1\.json, .*r2\.json: each ends a Textract output"):
        for item in items([str(tmp_path)]):
            if isinstance(item, SourceReject) and item.error is not None:
                raise item.error


def test_a_lone_truncated_part_is_still_refused(tmp_path: Path) -> None:
    first, _ = parts()
    write(tmp_path, "response-1.json", first)
    [reject] = items([str(tmp_path)])
    assert isinstance(reject, SourceReject)
    assert "response-1.json: NextToken present but the next part is missing" in str(reject.error)


@needs_realdata
def test_real_output_in_pages_of_results_equals_the_whole(tmp_path: Path) -> None:
    whole = json.loads((REALDATA / "textract" / "multi-page-forms-samples-2-page.json").read_text())
    blocks = whole.pop("Blocks")
    half = len(blocks) // 2
    write(
        tmp_path / "paged", "response-1.json", {**whole, "Blocks": blocks[:half], "NextToken": "t"}
    )
    write(tmp_path / "paged", "response-2.json", {**whole, "Blocks": blocks[half:]})
    write(tmp_path / "one", "whole.json", {**whole, "Blocks": blocks})
    for unit in ("document", "page"):
        joined = items([str(tmp_path / "paged")], unit=unit)
        single = items([str(tmp_path / "one")], unit=unit)
        assert [content(i) for i in joined] == [content(i) for i in single]
    pages = items([str(tmp_path / "paged")], unit="page")
    assert [i.source for i in pages] == [
        f"{tmp_path}/paged/response-1.json:page 1",
        f"{tmp_path}/paged/response-2.json:page 2",
    ]


def content(item: SourceRow | SourceReject) -> dict[str, Any]:
    """A row's fields without the names of the files it came from."""
    assert isinstance(item, SourceRow)
    return {
        name: {k: v for k, v in value.items() if k not in ("id", "source")}
        for name, value in item.fields.items()
    }
