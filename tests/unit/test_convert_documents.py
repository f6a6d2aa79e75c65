"""Document-AI sources: Analyze Lending, A2I, Azure Document Intelligence, Google Document AI,
Bedrock Data Automation and Comprehend, read into the shared document model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.azure.reader import read_azure, sniff_azure
from fineprep.stages.convert.bda.reader import read_bda, sniff_bda
from fineprep.stages.convert.comprehend.reader import read_comprehend, sniff_comprehend
from fineprep.stages.convert.docai.reader import read_docai, sniff_docai
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.sources.detect import kind_of, plan
from fineprep.stages.convert.textract.reader import read_textract
from tests.conftest import FIXTURES

HERE = FIXTURES / "convert"
LENDING = HERE / "textract" / "lending"


def _items(reader: Any, paths: list[Path], **options: Any) -> list[Any]:
    return list(reader([str(p) for p in paths], options))


def _rows(items: list[Any]) -> list[SourceRow]:
    return [i for i in items if isinstance(i, SourceRow)]


def _refused(items: list[Any]) -> dict[str, str]:
    return {Path(i.source).name: i.reason for i in items if isinstance(i, SourceReject) and i.files}


# -- detection ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("textract/lending/lending-package-no-signature.json", "textract"),
        ("textract/lending/job-1005/detailedResponse/1", "textract"),
        ("textract/a2i/a2i-response.json", "textract"),
        ("azure/invoice-v4.json", "azure-di"),
        ("azure/failed.json", "azure-di"),
        ("azure/sdk-to-dict.json", "azure-di"),
        ("docai/toolbox_invoice_test-0.json", "docai"),
        ("docai/layout-parser.json", "docai"),
        ("docai/error.json", "docai"),
        ("bda/job-3f2a/0/standard_output/0/result.json", "bda"),
        ("bda/job-3f2a/0/custom_output/0/result.json", "bda"),
        ("bda/job-3f2a/job_metadata.json", "bda"),
        ("comprehend/predictions.jsonl", "comprehend"),
        ("comprehend/output.tar.gz", "comprehend"),
    ],
)
def test_every_output_is_recognised_by_content(path: str, kind: str) -> None:
    assert kind_of(str(HERE / path), None) == kind


def test_sniffers_leave_other_json_alone() -> None:
    others: list[Any] = [{"text": "t", "pages": [{"number": 1}]}, {"prompt": "p"}, [], "x"]
    for value in others:
        assert not any(s(value) for s in (sniff_azure, sniff_docai, sniff_bda, sniff_comprehend))


# -- Analyze Lending ------------------------------------------------------------------------
def test_lending_pages_carry_classes_fields_and_text() -> None:
    items = _items(read_textract, [LENDING / "lending-package-no-signature.json"], unit="page")
    rows = _rows(items)
    assert [r.fields["page"]["class"] for r in rows] == [
        "PAYSLIPS", "CHECKS", "IDENTITY_DOCUMENT", "1099_DIV", "BANK_STATEMENT", "W_2"
    ]  # fmt: skip
    payslip = rows[0].fields["page"]
    assert payslip["fields"]["PAY_DATE"] == "7/25/2008"
    assert "YTD_NET_PAY" not in payslip["fields"]  # no value detected: left out
    assert payslip["text"].startswith("PAY_PERIOD_END_DATE: 7/18/2008\nPAY_DATE: 7/25/2008")
    identity = rows[2].fields["page"]["fields"]
    assert identity["DATE_OF_BIRTH"] == "03/18/2001" and "SUFFIX" not in identity
    div = rows[3].fields["page"]["fields"]
    assert div["FORM"] == "1099-DIV" and div["FORM (2)"] == "1099-DIV"
    assert rows[5].fields["page"]["fields"]["STATUTORY_EMPLOYEE"] == "SELECTED"
    document = rows[0].fields["document"]
    assert document["kind"] == "lending" and document["pages"] == 7
    assert (
        document["classes"][:2] == ["PAYSLIPS", "CHECKS"] and "UNCLASSIFIED" in document["classes"]
    )
    [blank] = [i for i in items if isinstance(i, SourceReject)]
    assert blank.source.endswith(":page 7")
    assert (
        blank.reason
        == "classified UNCLASSIFIED, but no text, fields or image on this page (blank page?)"
    )


def test_lending_other_fields_are_named_by_their_key_and_checkboxes_render() -> None:
    [row] = _rows(_items(read_textract, [LENDING / "lending-doc-output-page1.json"]))
    fields = row.fields["document"]["fields"]
    assert fields["Loan Term"] == "30 years" and fields["Conventional"] == "SELECTED"
    assert "Property" not in fields and "CURRENT_ADDRESS_CITY" not in fields
    text = row.fields["document"]["text"]
    assert "Conventional: [X]" in text and "FHA: [ ]" in text
    assert row.fields["document"]["class"] == "1003"


def test_lending_job_folder_reads_the_detailed_response_and_skips_the_summary() -> None:
    notices: list[str] = []
    items = _items(read_textract, [LENDING / "job-1005"], notices=notices)
    [row] = _rows(items)
    document = row.fields["document"]
    assert document["id"] == "job-1005" and document["signatures"] == 1
    assert document["fields"] == {
        "OVERTIME_CONTINUANCE_LIKELY": "Yes",
        "CURRENT_GROSS_PAY_WEEKLY": "NOT_SELECTED",
    }
    assert len(notices) == 1 and "an Analyze Lending summary" in notices[0]


def test_two_results_for_one_page_are_one_page(tmp_path: Path) -> None:
    doc = json.loads((LENDING / "lending-package-no-signature.json").read_text())
    extra = json.loads(json.dumps(doc["Results"][1]))
    extra["Page"] = 1
    doc["Results"].append(extra)
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(doc))
    rows = _rows(_items(read_textract, [path], unit="page"))
    first = rows[0].fields["page"]
    assert first["classes"] == ["PAYSLIPS", "CHECKS"]
    assert (
        first["fields"]["PAY_DATE"] == "7/25/2008"
        and first["fields"]["CHECK_NUMBER"] == "0000000000"
    )
    assert first["fields"]["BORROWER_NAME (2)"] == "JOHN STILES"


def test_truncated_lending_output_is_refused(tmp_path: Path) -> None:
    doc = json.loads((LENDING / "lending-package-no-signature.json").read_text())
    doc["Results"] = doc["Results"][:3]
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(doc))
    refused = _refused(_items(read_textract, [path]))
    assert "declares 7 pages but pages [4, 5, 6, 7] have no result" in refused["cut.json"]


# -- A2I ------------------------------------------------------------------------------------
def test_a2i_output_gives_the_textract_document_and_the_human_answers() -> None:
    items = _items(read_textract, [HERE / "textract" / "a2i"])
    [row] = _rows(items)
    document = row.fields["document"]
    assert document["kind"] == "a2i"
    assert document["text"].splitlines()[0] == "Mall Mobile Repair"
    assert document["key_values"] == {"Total": "$148.99"}  # what Textract found
    assert document["fields"] == {  # what the reviewer confirmed and added
        "Policy Number": "AG133441",
        "Device ID": "424403233",
        "Total": "$148.99",
    }
    assert document["meta"]["workers"] == ["66b74ced2dbe1cfd"]
    refused = _refused(items)
    assert (
        "the 2 reviewers disagree on 'Policy Number' ('AG133441' vs 'AG133447')"
        in refused["output.json"]
    )


def test_a2i_output_without_the_response_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.json"
    path.write_text(
        json.dumps(
            {"humanAnswers": [{"answerContent": {}}], "inputContent": {"aiServiceResponse": 1}}
        )
    )
    assert "without the Textract response" in _refused(_items(read_textract, [path]))["loop.json"]


# -- Azure Document Intelligence --------------------------------------------------------------
AZURE = HERE / "azure"


def test_azure_invoice_text_tables_pairs_and_fields() -> None:
    [row] = _rows(_items(read_azure, [AZURE / "invoice-v4.json"]))
    document = row.fields["document"]
    assert document["text"].startswith("# CONTOSO LTD.\n## INVOICE\nInvoice number: INV-100")
    assert "[X] Paid" in document["text"]
    assert document["tables"][0].startswith("Services\n\n| Description | Qty | Amount |")
    assert "| Total \\| incl. fees |  | $90.00 |" in document["tables"][0]
    assert document["key_values"] == {"Invoice number": "INV-100", "Paid": "[X]"}
    fields = document["fields"]
    assert fields["InvoiceTotal"] == {"currencySymbol": "$", "amount": 90, "currencyCode": "USD"}
    assert fields["Items"][1] == {
        "Description": "Document fee",
        "Quantity": 1,
        "Amount": {"currencySymbol": "$", "amount": 30, "currencyCode": "USD"},
    }
    assert "PurchaseOrder" not in fields and fields["PaymentTerm"] == "Net 30"
    assert "countryRegion" not in fields["CustomerAddress"]
    assert document["class"] == "invoice"
    assert document["meta"]["model_id"] == "prebuilt-invoice"


def test_azure_furniture_and_a_classifier_split_into_documents() -> None:
    [row] = _rows(_items(read_azure, [AZURE / "invoice-v4.json"], skip_furniture="true"))
    assert "Page 1 of 1" not in row.fields["document"]["text"]
    rows = _rows(_items(read_azure, [AZURE / "classifier-split.json"]))
    assert [
        (r.fields["document"]["class"], r.fields["document"]["page_numbers"]) for r in rows
    ] == [
        ("employment-verification", [1, 2]),
        ("bank-statement", [3]),
    ]
    assert rows[1].source.endswith("classifier-split.json:document 2")


def test_azure_sample_with_inconsistent_spans_reads_its_lines() -> None:
    [row] = _rows(_items(read_azure, [AZURE / "general_documents_sample_response.json"]))
    document = row.fields["document"]
    assert document["text"] == "Case" and document["key_values"] == {"Case": "A Case"}
    assert document["tables"] == ["| Applicant's Name: |  |  |\n| --- | --- | --- |"]


def test_azure_refusals_and_the_sdk_dictionary() -> None:
    with pytest.raises(InputError, match=r"failed \(InvalidRequest: Invalid request\.\)"):
        list(read_azure([str(AZURE / "failed.json")], {}))
    with pytest.raises(InputError, match=r"Form Recognizer v2\.1 result"):
        list(read_azure([str(AZURE / "v2-read.json")], {}))
    [row] = _rows(_items(read_azure, [AZURE / "sdk-to-dict.json"]))
    assert row.fields["document"]["fields"] == {
        "MerchantName": "Contoso",
        "Items": [{"Name": "Tea"}],
    }
    assert row.fields["document"]["class"] == "receipt"


# -- Google Document AI ---------------------------------------------------------------------
DOCAI = HERE / "docai"


def test_docai_entities_become_fields_with_normalized_values() -> None:
    [row] = _rows(_items(read_docai, [DOCAI / "toolbox_invoice_test-0.json"]))
    fields = row.fields["document"]["fields"]
    assert fields["invoice_date"] == "1970-01-01" and fields["receiver_name"] == "John Doe"
    assert fields["vat"] == {"vat/tax_amount": "140 USD"}
    assert row.fields["document"]["text"].startswith("Invoice\nDATE: 01/01/1970")


def test_docai_shards_are_joined_in_shard_order_whatever_their_names() -> None:
    [row] = _rows(_items(read_docai, sorted((DOCAI / "excerpt").iterdir())))
    document = row.fields["document"]
    assert document["page_numbers"] == [71, 72]
    assert document["text"].startswith("CHAPTER V\nIN WHICH Piglet Meets a Heffalump")
    assert document["meta"]["shards"] == 2 and row.extra["shards"] == 2


def test_a_missing_shard_is_named(tmp_path: Path) -> None:
    refused = _refused(_items(read_docai, [DOCAI / "shards" / "Winnie_the_Pooh-0.json"]))
    reason = refused["Winnie_the_Pooh-0.json"]
    assert "shards 0, 1, 2, 3, 4, 5, 6, 8, 9, 10 ... of 19 are missing (found 1)" in reason
    shutil.copy(DOCAI / "excerpt" / "Winnie_the_Pooh-1.json", tmp_path / "book-0.json")
    reason = _refused(_items(read_docai, [tmp_path / "book-0.json"]))["book-0.json"]
    assert "book-0.json: shard 1 of 2 is missing" in reason
    doubled = tmp_path / "twice"
    doubled.mkdir()
    for n in (0, 1):
        shutil.copy(DOCAI / "excerpt" / "Winnie_the_Pooh-1.json", doubled / f"book-{n}.json")
    [reject] = _items(read_docai, sorted(doubled.iterdir()))
    assert reject.files == tuple(str(p) for p in sorted(doubled.iterdir()))
    assert "shard 0 twice" in reject.reason


def test_docai_form_fields_checkboxes_and_tables() -> None:
    rows = _rows(_items(read_docai, [DOCAI / "form-parser.json"], unit="page"))
    first = rows[0].fields["page"]
    assert first["key_values"] == {
        "Name": "Jane Doe",
        "Insured": "[X]",
        "Date of birth": "1980-04-02",
    }
    assert first["tables"] == [
        "| Medication | Dose | Times |\n| --- | --- | --- |\n| Ibuprofen | 200 mg | 2 |\n"
        "| Vitamin D | 1000 IU |  |"
    ]
    assert rows[1].fields["page"]["kv_text"] == "Allergies: none"
    assert rows[0].fields["document"]["meta"]["uri"] == "gs://intake-forms/jane-doe.pdf"


def test_docai_classifier_and_splitter_labels() -> None:
    [row] = _rows(_items(read_docai, [DOCAI / "classifier.json"]))
    assert row.fields["document"]["classes"] == ["bank_statement", "receipt", "invoice"]
    pages = _rows(_items(read_docai, [DOCAI / "splitter.json"], unit="page"))
    assert [p.fields["page"]["class"] for p in pages] == ["invoice_statement", "receipt_statement"]


def test_docai_layout_parser_and_error() -> None:
    pages = _rows(
        _items(read_docai, [DOCAI / "layout-parser.json"], unit="page", skip_furniture=True)
    )
    assert pages[0].fields["page"]["text"] == (
        "# Travel policy\nBook economy class for flights under six hours.\n"
        "- Keep every receipt.\n- Claim within 30 days."
    )
    assert pages[1].fields["page"]["tables"] == [
        "| Item | Limit |\n| --- | --- |\n| Hotel | $200 a night |"
    ]
    reason = _refused(_items(read_docai, [DOCAI / "error.json"]))["error.json"]
    assert "Document AI reports an error (3: Unsupported input file format.)" in reason


# -- Bedrock Data Automation ----------------------------------------------------------------
BDA = HERE / "bda"


def test_bda_custom_outputs_pair_with_the_standard_output_of_their_asset() -> None:
    found = plan([str(BDA / "job-3f2a")], None)
    items = _items(read_bda, [Path(p) for p in found.files])
    invoice, receipt = _rows(items)
    assert invoice.fields["document"]["class"] == "Invoice"
    assert invoice.fields["document"]["page_numbers"] == [1]
    assert invoice.fields["document"]["fields"]["total"] == 105.0
    assert invoice.fields["document"]["tables"][0].startswith("| Item | Qty | Amount |")
    assert invoice.fields["document"]["meta"]["s3_key"] == "input/northwind-invoice.pdf"
    assert invoice.fields["document"]["meta"]["blueprint"] == "Invoice"
    assert receipt.fields["document"]["text"].startswith("## Receipt")
    assert invoice.images == ()  # page images only with page_images
    assert invoice.fields["document"]["images"] == [
        "s3://fineprep-bda/out/job-3f2a/0/standard_output/0/assets/rectified_image_0.png"
    ]
    with_images = _rows(_items(read_bda, [Path(p) for p in found.files], page_images="true"))
    assert with_images[0].images == tuple(invoice.fields["document"]["images"])


def test_bda_plain_text_representation_and_refusals() -> None:
    standard = BDA / "job-3f2a" / "0" / "standard_output" / "0" / "result.json"
    [row] = _rows(_items(read_bda, [standard], representation="text", unit="page")[:1])
    assert row.fields["page"]["text"].startswith("Northwind Paper Supply 1200 Harbour Road")
    refused = _refused(_items(read_bda, [BDA / "job-failed" / "job_metadata.json"]))
    assert "is SERVICE_ERROR (Internal service error)" in refused["job_metadata.json"]
    image = BDA / "image-asset" / "0" / "standard_output" / "0" / "result.json"
    assert "image output" in _refused(_items(read_bda, [image]))["result.json"]
    with pytest.raises(ConfigError, match="representation must be 'markdown' or 'text'"):
        list(read_bda([str(standard)], {"representation": "html"}))


# -- Comprehend -----------------------------------------------------------------------------
COMPREHEND = HERE / "comprehend"


def test_comprehend_predictions_with_their_input_lines() -> None:
    items = _items(
        read_comprehend, [COMPREHEND / "output.tar.gz"], input_dir=str(COMPREHEND / "input")
    )
    rows = _rows(items)
    assert [r.fields["document"]["class"] for r in rows] == [
        "Documentary", "Science_Fiction", "Documentary", "Serious_Drama"
    ]  # fmt: skip
    assert rows[2].fields["document"]["text"].startswith("The making of the great pyramids")
    assert rows[0].source.endswith("output.tar.gz!predictions.jsonl:line 1")
    assert rows[0].fields["document"]["meta"]["scores"]["Other"] == 0.0381
    [error] = [i for i in items if isinstance(i, SourceReject)]
    assert "UNSUPPORTED_ENCODING" in error.reason


def test_comprehend_multi_label_threshold_and_missing_inputs(tmp_path: Path) -> None:
    folder = str(COMPREHEND / "input")
    items = _items(
        read_comprehend, [COMPREHEND / "multilabel" / "predictions.jsonl"], input_dir=folder
    )
    first, second = items
    assert isinstance(first, SourceRow) and first.fields["document"]["classes"] == [
        "Action",
        "Drama",
    ]
    assert isinstance(second, SourceReject) and second.reason.startswith(
        "no class scores at least 0.5"
    )
    lower = _items(
        read_comprehend,
        [COMPREHEND / "multilabel" / "predictions.jsonl"],
        input_dir=folder,
        threshold="0.15",
    )
    assert lower[1].fields["document"]["classes"] == ["Comedy"]
    odd = tmp_path / "predictions.jsonl"
    odd.write_text(
        '{"File": "file1.txt", "Line": "9", "Classes": [{"Name": "A", "Score": 1}]}\n'
        '{"File": "gone.txt", "Line": "0", "Classes": [{"Name": "A", "Score": 1}]}\n'
        '{"File": "scan.pdf", "Classes": [{"Name": "A", "Score": 1}]}\n'
    )
    reasons = [i.reason for i in _items(read_comprehend, [odd], input_dir=folder)]
    assert reasons[0] == "input file 'file1.txt' has no line 9 (it has 2)"
    assert reasons[1].startswith("input file 'gone.txt' is not in")
    assert reasons[2].startswith("input 'scan.pdf' is not text")
    with pytest.raises(ConfigError, match="give input_dir"):
        list(read_comprehend([str(odd)], {}))


def test_page_images_named_by_a_pattern_go_with_every_document_source(tmp_path: Path) -> None:
    pattern = "s3://fineprep-data/{id}/page-{page}.png"
    rows = _rows(
        _items(read_azure, [AZURE / "classifier-split.json"], unit="page", image_uri=pattern)
    )
    assert [r.images for r in rows] == [
        ("s3://fineprep-data/classifier-split/page-1.png",),
        ("s3://fineprep-data/classifier-split/page-2.png",),
        ("s3://fineprep-data/classifier-split/page-3.png",),
    ]
    [doc] = _rows(_items(read_docai, sorted((DOCAI / "excerpt").iterdir()), image_uri=pattern))
    assert doc.images == (
        "s3://fineprep-data/Winnie_the_Pooh/page-71.png",
        "s3://fineprep-data/Winnie_the_Pooh/page-72.png",
    )
    from fineprep.core.config import Settings
    from fineprep.stages.convert.runner import convert

    result = convert(
        LENDING / "lending-doc-output-page1.json",
        output=tmp_path / "o.jsonl",
        model="nova-lite",
        source_options={"image_uri": pattern},
        prompt="What form is this?",
        completion="{{ document.class }}",
        bucket_owner="111122223333",
        settings=Settings(),
    )
    record = json.loads((tmp_path / "o.jsonl").read_text())
    assert result.records == 1
    assert record["messages"][0]["content"][0]["image"]["source"]["s3Location"]["uri"] == (
        "s3://fineprep-data/lending-doc-output-page1/page-1.png"
    )
    with pytest.raises(ConfigError, match="must be an s3:// URI pattern"):
        list(read_azure([str(AZURE / "invoice-v4.json")], {"image_uri": "https://x/{id}"}))
