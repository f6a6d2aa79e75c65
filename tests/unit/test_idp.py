"""The ``idp`` source: result shapes, pairing with Textract outputs, images, rejects."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.idp.reader import read_idp
from fineprep.stages.convert.sources.base import SOURCES, SourceReject, SourceRow
from tests.conftest import FIXTURES, REALDATA, needs_realdata

IDP = FIXTURES / "convert" / "idp"
TEXTRACT = str(IDP / "textract")


def items(path: Path | str, **options: Any) -> list[SourceRow | SourceReject]:
    return list(read_idp([str(path)], options))


def test_generic_results_paired_by_document_id() -> None:
    got = items(IDP / "results.jsonl", textract_dir=TEXTRACT)
    assert [type(i).__name__ for i in got] == [
        "SourceRow",
        "SourceRow",
        "SourceReject",
        "SourceReject",
        "SourceReject",
    ]
    first, second, unpaired, broken, no_id = got
    assert isinstance(first, SourceRow) and isinstance(second, SourceRow)
    assert first.source == f"{IDP / 'results.jsonl'}:line 1"
    assert first.fields["document"]["text"] == "Claim form\nName: Ana Silva\nAmount: 1,200"
    assert first.fields["document"]["source"] == str(IDP / "textract" / "claim-001.json")
    assert first.fields["class"] == "claim_form"
    assert first.fields["fields"] == {
        "claimant": {"name": "Ana Silva", "phone": None},
        "amount": "1,200",
    }
    assert first.fields["fields_json"] == (
        '{"amount":"1,200","claimant":{"name":"Ana Silva","phone":null}}'
    )
    assert first.images == () and first.extra == {"document_id": "claim-001"}
    # The result is the document's extraction: `document.fields_json` is the result's, as
    # for every document source (an empty "{}" would be every record's answer otherwise).
    assert first.fields["document"]["fields_json"] == first.fields["fields_json"]
    assert first.fields["document"]["fields"] == first.fields["fields"]
    assert first.fields["document"]["class"] == "claim_form"
    # "claim-002.pdf" pairs with claim-002.json; its own page images are used
    assert second.fields["document"]["id"] == "claim-002.pdf"
    assert second.fields["document"]["pages"] == 2
    assert second.fields["class"] == ""
    assert second.images == ("s3://idp-bucket/claim-002/1.png", "s3://idp-bucket/claim-002/2.png")
    assert unpaired == SourceReject(
        f"{IDP / 'results.jsonl'}:line 3",
        f"no Textract output in {TEXTRACT} for document 'claim-404' (looked for 'claim-404')",
    )
    assert isinstance(broken, SourceReject) and broken.raw == "{not json\n"
    assert "not valid JSON" in broken.reason
    assert no_id == SourceReject(
        f"{IDP / 'results.jsonl'}:line 5", "no 'document_id' (the document id)"
    )


def test_text_from_the_result_itself() -> None:
    first, second = items(IDP / "notes.json")
    assert isinstance(first, SourceRow) and isinstance(second, SourceRow)
    assert first.source == f"{IDP / 'notes.json'}:item 1"
    assert first.fields["document"]["kind"] == "idp"
    assert first.fields["document"]["text"] == "Staff meeting moved to Friday."
    assert second.fields["document"]["text"] == "Page one.\n\nPage two."
    assert second.fields["document"]["page_numbers"] == [1, 2]
    assert (first.fields["class"], first.fields["fields_json"]) == ("memo", "{}")


def test_accelerator_sections_get_their_pages() -> None:
    pattern = "s3://bucket/{id}/pages/{page}/image.jpg"
    invoice, letter = items(IDP / "accel", textract_dir=TEXTRACT, image_uri=pattern)
    assert isinstance(invoice, SourceRow) and isinstance(letter, SourceRow)
    assert invoice.fields["class"] == "invoice"
    assert invoice.fields["fields"] == {"invoice_number": "INV-7", "total": "$80.00"}
    assert invoice.fields["document"]["text"] == "INVOICE INV-7\nTotal: $80.00"
    assert invoice.extra == {"document_id": "packet_0007.pdf", "section": "1"}
    assert letter.fields["document"]["page_numbers"] == [2, 3]
    assert letter.fields["document"]["text"] == "Dear Ms. Silva,\n\nKind regards, Luis"
    assert letter.images == (
        "s3://bucket/packet_0007.pdf/pages/2/image.jpg",
        "s3://bucket/packet_0007.pdf/pages/3/image.jpg",
    )


def test_packet_manifest_rows_per_subdocument() -> None:
    invoice, letter, memo = items(IDP / "packets_local.json", textract_dir=TEXTRACT)
    assert isinstance(invoice, SourceRow) and isinstance(letter, SourceRow)
    assert invoice.source == f"{IDP / 'packets_local.json'}:packet_0007 section 1"
    assert (invoice.fields["class"], letter.fields["class"]) == ("invoice", "letter")
    assert letter.fields["document"]["text"] == "Dear Ms. Silva,\n\nKind regards, Luis"
    assert letter.extra["source_pdf"] == "letter/silva.pdf"
    assert memo == SourceReject(
        f"{IDP / 'packets_local.json'}:packet_0007 section 3",
        f"pages [4] are not in the Textract output {IDP / 'textract' / 'packet_0007.json'} "
        "(it has 3 pages)",
    )


def test_packet_excerpt_with_page_images() -> None:
    got = items(IDP / "packets_excerpt.json", image_uri="s3://b/{id}/{page_index}.png")
    assert len(got) == 9 and all(isinstance(i, SourceRow) for i in got)
    language = got[2]
    assert language.fields["class"] == "language"
    assert language.images == (
        "s3://b/packet_0001/2.png",
        "s3://b/packet_0001/3.png",
        "s3://b/packet_0001/4.png",
    )


def test_bare_fields_file(tmp_path: Path) -> None:
    [reject] = items(IDP / "sample_1099_gt.json")
    assert isinstance(reject, SourceReject)
    assert "no text and no page images for document 'sample_1099'" in reject.reason
    [row] = items(IDP / "sample_1099_gt.json", image_uri="s3://forms/{id}.png")
    assert isinstance(row, SourceRow)
    assert row.images == ("s3://forms/sample_1099.png",)
    assert row.fields["fields"]["PayerInformation"]["city"] == "MELVILLE"
    assert row.fields["fields_json"].startswith('{"AccountInformation":{"2nd_TIN":true,')
    # paired with a Textract output named after the document, without the _gt suffix
    shutil.copy(IDP / "textract" / "claim-001.json", tmp_path / "sample_1099.json")
    [paired] = items(IDP / "sample_1099_gt.json", textract_dir=str(tmp_path))
    assert isinstance(paired, SourceRow)
    assert paired.fields["document"]["text"].startswith("Claim form")


def test_ambiguous_and_multi_document_outputs(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(IDP / "textract" / "claim-001.json", tmp_path / sub / "claim-001.json")
    [ambiguous, *_] = items(IDP / "results.jsonl", textract_dir=str(tmp_path))
    assert isinstance(ambiguous, SourceReject)
    assert "document id 'claim-001' matches several Textract outputs" in ambiguous.reason
    expense = json.loads((FIXTURES / "convert" / "textract" / "expense.json").read_text())
    expense["ExpenseDocuments"].append(dict(expense["ExpenseDocuments"][0], ExpenseIndex=2))
    folder = tmp_path / "multi"
    folder.mkdir()
    (folder / "claim-001.json").write_text(json.dumps(expense))
    [multi, *_] = items(IDP / "results.jsonl", textract_dir=str(folder))
    assert isinstance(multi, SourceReject) and "holds 2 documents" in multi.reason


def test_id_key_images_and_record_errors(tmp_path: Path) -> None:
    records = [
        {"doc": "a", "class": "x", "text": "alpha"},
        {
            "doc": "b",
            "class": "x",
            "text": "beta",
            "pages": [{"image": "https://example.com/1.png"}],
        },
        {"doc": "c", "fields": [1, 2]},
        {"doc": "d"},
        {"doc": "e", "class": "x", "pages": ["s3://x/1.png"]},
        {"doc": "f", "fields": {"k": "v"}},
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "\n")
    got = items(path, id_key="doc", image_uri="s3://bkt/{id}/{page}.png")
    assert isinstance(got[0], SourceRow) and got[0].images == ("s3://bkt/a/1.png",)
    reasons = [i.reason for i in got[1:] if isinstance(i, SourceReject)]
    assert reasons == [
        "page image 'https://example.com/1.png' is not an s3:// URI",
        "'fields' is not a JSON object",
        "document 'd' has neither 'fields' nor 'class'",
        "pages[0] is not a JSON object",
        "image_uri needs page numbers, but the pages of document 'f' are unknown "
        "(give textract_dir, or pages in the result)",
    ]


def test_textract_response_given_as_a_result() -> None:
    [reject] = items(IDP / "textract" / "claim-001.json")
    assert (
        isinstance(reject, SourceReject)
        and "a Textract response, not an IDP result" in reject.reason
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"textract": "x"}, "unknown option 'textract'"),
        ({"image_uri": "https://b/{id}.png"}, "must be an s3:// URI pattern"),
        ({"image_uri": "s3://b/{name}.png"}, "must be an s3:// URI pattern"),
        ({"image_uri": "s3://b/{id.png"}, "image_uri"),
        ({"textract_dir": 3}, "must be a string"),
        ({"skip_furniture": "sometimes"}, "must be true or false"),
    ],
)
def test_bad_options(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        read_idp([str(IDP / "notes.json")], options)


def test_unusable_textract_dir_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        read_idp([str(IDP / "notes.json")], {"textract_dir": str(tmp_path / "missing")})
    shutil.copy(FIXTURES / "convert" / "textract" / "failed.json", tmp_path / "claim-001.json")
    with pytest.raises(InputError, match="job status FAILED"):
        read_idp([str(IDP / "results.jsonl")], {"textract_dir": str(tmp_path)})


def test_registered() -> None:
    assert SOURCES.get("idp") is read_idp


@needs_realdata
def test_real_idp_results() -> None:
    real = REALDATA / "other_idp"
    [row] = items(real / "sample_1099_gt.json", image_uri="s3://forms/{id}.png")
    assert isinstance(row, SourceRow)
    assert row.fields["fields"]["TransactionDetails"]["proceeds"] == "$472,525.00"
    packets = items(real / "packets.json", image_uri="s3://b/{id}/{page}.png")
    assert len(packets) == 2027 and all(isinstance(p, SourceRow) for p in packets)
    classes = collections.Counter(p.fields["class"] for p in packets if isinstance(p, SourceRow))
    assert len(classes) == 13 and classes["specification"] == 187
    # without text or images nothing converts, and nothing disappears silently
    bare = items(real / "packets.json")
    assert len(bare) == 2027 and all(isinstance(p, SourceReject) for p in bare)


def test_pairing_with_async_outputs(tmp_path: Path) -> None:
    """A multi-part output pairs by its job id or folder, never by a part's file name."""
    textract = FIXTURES / "convert" / "textract"
    shutil.copytree(textract / "async", tmp_path / "tx" / "async")
    shutil.copytree(textract / "s3layout", tmp_path / "tx" / "s3layout")
    records = [
        {"document_id": "5f0c7a1e-job", "class": "report"},
        {"document_id": "9d2e4b7c-job", "class": "report", "pages": [{"number": 2}]},
        {"document_id": "part-1", "class": "report"},
        {"document_id": "1", "class": "report"},
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    job, folder, part, number = items(path, textract_dir=str(tmp_path / "tx"))
    assert isinstance(job, SourceRow) and isinstance(folder, SourceRow)
    assert job.fields["document"]["pages"] == 2
    assert folder.fields["document"]["text"] == "Outlook is stable"
    assert isinstance(part, SourceReject) and isinstance(number, SourceReject)
