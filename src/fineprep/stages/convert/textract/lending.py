"""Analyze Lending results (``GetLendingAnalysis``): a mortgage package, page by page.

A lending job splits the package into pages, classifies each (``PageClassification.PageType``:
``PAYSLIPS``, ``W_2``, ``1099_DIV``...) and runs the matching extraction on it: lending fields
(``LendingDocument.LendingFields``, with ``SignatureDetections``), AnalyzeExpense
(``ExpenseDocument``) or AnalyzeID (``IdentityDocument``). There is no OCR text in the output, so
a page's text is rendered from its fields (one ``NAME: value`` line each), as for AnalyzeExpense
responses without blocks.

Per page: ``classes`` are the page types, most confident first (the document's ``classes`` are
the pages' in page order); ``fields`` are ``{TYPE: value}`` (several values become a list; a
checkbox is ``SELECTED``/``NOT_SELECTED``; a field typed ``OTHER`` is named by its printed key);
``signatures`` count the detected signatures. Fields Textract found no value for are left out.

``GetLendingAnalysisSummary`` output (``Summary.DocumentGroups``, the ``summaryResponse`` folder
of a job written to S3) describes document groups without their content; it is skipped with a
notice, because the detailed response holds the same pages with their fields.
"""

from __future__ import annotations

from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.document import Document, Page, one_line, pairs_text, unique_keys
from fineprep.stages.convert.textract.fields import expense_of, identity_of
from fineprep.stages.convert.textract.files import as_dict, as_float, as_int, as_list, as_str

Pair = tuple[str, str]


def lending_document(
    doc_id: str, source: str, objs: list[tuple[str, dict[str, Any]]], declared: int | None
) -> Document:
    """The package's pages from every part of the job's output (``declared``: the page count
    ``DocumentMetadata`` promises, checked unless the job was a partial success)."""
    pages: dict[int, Page] = {}
    for shown, obj in objs:
        for position, result in enumerate(map(as_dict, as_list(obj.get("Results"))), 1):
            number = as_int(result.get("Page")) or position
            page = _page(result, number, shown)
            pages[number] = _merged(pages[number], page) if number in pages else page
    if declared and declared > len(pages):
        missing = [n for n in range(1, declared + 1) if n not in pages][:5]
        raise InputError(
            f"{source}: DocumentMetadata declares {declared} pages but pages {missing} have no "
            "result; the output is truncated",
            hint="fetch every part of the job's output and convert all the part files together",
        )
    ordered = [pages[n] for n in sorted(pages)]
    classes = tuple(dict.fromkeys(c for p in ordered for c in p.classes[:1]))
    return Document(doc_id, source, "lending", ordered, classes=classes)


def _merged(first: Page, more: Page) -> Page:
    """Two results for one page (a page analyzed by two extractions): one page with both."""
    pairs = [*first.key_values, *more.key_values]
    return Page(
        first.number,
        pairs_text(pairs),
        key_values=pairs,
        signatures=first.signatures + more.signatures,
        source=first.source,
        fields=unique_keys([*first.fields.items(), *more.fields.items()]),
        classes=tuple(dict.fromkeys([*first.classes, *more.classes])),
    )


def _page(result: dict[str, Any], number: int, shown: str) -> Page:
    kinds = [as_dict(c) for c in as_list(as_dict(result.get("PageClassification")).get("PageType"))]
    ranked = sorted(kinds, key=lambda c: -(as_float(c.get("Confidence")) or 0.0))
    classes = tuple(v for v in (as_str(c.get("Value")).strip() for c in ranked) if v)
    pairs: list[Pair] = []
    fields: list[tuple[str, Any]] = []
    signatures = 0
    for extraction in map(as_dict, as_list(result.get("Extractions"))):
        lending = as_dict(extraction.get("LendingDocument"))
        for item in map(as_dict, as_list(lending.get("LendingFields"))):
            named = _lending_field(item)
            if named:
                fields.append(named)
                pairs.append((named[0], _shown(named[1])))
        signatures += len(as_list(lending.get("SignatureDetections")))
        if "ExpenseDocument" in extraction:
            whole, _ = expense_of(as_dict(extraction["ExpenseDocument"]))
            fields.extend(whole.summary)
            pairs.extend(whole.summary)
            if whole.line_items:
                fields.append(("LINE_ITEMS", [unique_keys(item) for item in whole.line_items]))
        if "IdentityDocument" in extraction:
            found = [(k, v) for k, v, _ in identity_of(as_dict(extraction["IdentityDocument"]))]
            fields.extend(found)
            pairs.extend(found)
    return Page(
        number,
        pairs_text(pairs),
        key_values=pairs,
        signatures=signatures,
        source=shown,
        fields=unique_keys(fields),
        classes=classes,
    )


def _lending_field(item: dict[str, Any]) -> tuple[str, Any] | None:
    """``(name, value)`` of a lending field, or None when Textract found no value."""
    ftype = as_str(item.get("Type")).strip()
    key = one_line(as_str(as_dict(item.get("KeyDetection")).get("Text")), sep=" ")
    name = ftype if ftype and ftype != "OTHER" else (key.rstrip(":").strip() or ftype)
    values = [v for v in map(_detected, as_list(item.get("ValueDetections"))) if v]
    if not name or not values:
        return None
    return name, values[0] if len(values) == 1 else values


def _detected(detection: Any) -> str:
    spec = as_dict(detection)
    text = one_line(as_str(spec.get("Text")), sep=" ")
    return text or as_str(spec.get("SelectionStatus")).strip()


def _shown(value: Any) -> str:
    """The value on a ``NAME: value`` line: checkboxes as ``[X]``/``[ ]``, lists joined."""
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return {"SELECTED": "[X]", "NOT_SELECTED": "[ ]"}.get(str(value), str(value))
