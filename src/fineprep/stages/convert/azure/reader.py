"""The ``azure-di`` source: Azure AI Document Intelligence (v3, v4) analyze results.

Reads what the service returns for ``analyze`` (and what Document Intelligence Studio downloads):
the operation ``{"status": "succeeded", "analyzeResult": {...}}``, a bare ``analyzeResult``, or
the Python SDK's ``as_dict()``/``to_dict()`` of one (snake_case keys are read as the REST
names). Prebuilt models (layout, read, invoice, receipt, ID...), custom extraction models and
classifiers all give the same shape:

- text: ``paragraphs`` in reading order (``title`` as ``# ``, ``sectionHeading`` as ``## ``;
  page headers, footers and numbers left out with ``skip_furniture``), else each page's
  ``lines``, else the page's ``spans`` of ``content`` (counted in the result's
  ``stringIndexType``, see :mod:`.spans`); ``:selected:`` marks as ``[X]``/``[ ]``
- ``key_values`` from ``keyValuePairs``, ``tables`` as Markdown, both on their pages
- ``fields`` from ``documents[].fields`` (see :mod:`.fields`), ``class``/``classes`` from
  ``docType``; a result with several documents (a classifier that split a file, a composed
  model) gives one document each, with the pages its ``boundingRegions`` cover
- ``meta``: ``modelId``, ``apiVersion``, the content format, and the Markdown ``content`` when
  the result was asked for Markdown

Options: ``unit`` (``document`` or ``page``), ``skip_furniture`` and ``image_uri`` (page images
in S3), as for Textract. A failed or
unfinished operation and a Form Recognizer v2.1 result (``readResults``) are refused with what to
do; a document without text, fields or tables becomes a reject.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.azure.fields import (
    build_table,
    fields_of,
    page_of,
    selection_marks,
)
from fineprep.stages.convert.azure.spans import Spans
from fineprep.stages.convert.document import Document, Page, RenderedTable, Table, one_line
from fineprep.stages.convert.page_images import with_page_images
from fineprep.stages.convert.sources.base import SOURCES, SourceItem
from fineprep.stages.convert.textract.files import (
    as_dict,
    as_int,
    as_list,
    as_str,
    camel_keys,
    load_json,
)
from fineprep.stages.convert.textract.reader import document_rows, textract_options

_HEADINGS = {"title": "# ", "sectionHeading": "## "}
_FURNITURE = frozenset({"pageHeader", "pageFooter", "pageNumber"})
_STATUSES = frozenset({"notStarted", "running", "failed", "succeeded", "canceled"})


def sniff_azure(value: Any) -> bool:
    """An analyze operation or result of Document Intelligence (or its SDK dictionary)."""
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("analyzeResult"), dict) or isinstance(
        value.get("analyze_result"), dict
    ):
        return True
    if value.get("status") in _STATUSES and "createdDateTime" in value:
        return True  # an operation that has not succeeded: the reader says why
    return ("apiVersion" in value and "modelId" in value) or (
        "api_version" in value and "model_id" in value
    )


def _field_names(name: str, obj: dict[str, Any]) -> bool:
    """Whether ``obj[name]`` maps field names (a document's ``fields``, an object field's value)
    to fields: the names are the model's labels, written as its author chose."""
    if name in ("fields", "valueObject"):
        return True
    return name == "value" and obj.get("value_type", obj.get("valueType")) == "dictionary"


def analyze_result(obj: dict[str, Any], shown: str) -> dict[str, Any]:
    """The ``analyzeResult`` of an operation (refusing failed and unfinished ones)."""
    if "api_version" in obj or "analyze_result" in obj:
        obj = camel_keys(obj, _field_names)
    status = obj.get("status")
    if status is not None and status != "succeeded":
        error = as_dict(obj.get("error"))
        said = f" ({as_str(error.get('code'))}: {as_str(error.get('message'))})" if error else ""
        if status == "failed":
            raise InputError(f"{shown}: the analyze operation failed{said}; analyze it again")
        raise InputError(
            f"{shown}: the analyze operation is {status!r}, not finished",
            hint="wait until its status is 'succeeded', then save and convert the result",
        )
    result = obj.get("analyzeResult", obj)
    if not isinstance(result, dict):
        raise InputError(f"{shown}: 'analyzeResult' is not an object")
    if "readResults" in result or "documentResults" in result:
        raise InputError(
            f"{shown}: a Form Recognizer v2.1 result (readResults); this reader takes v3 and v4",
            hint="analyze the document with API version 2023-07-31 or later, and convert that",
        )
    return result


def load_documents(
    path: Path, shown: str, skip_furniture: bool, image_uri: str | None = None
) -> list[Document]:
    """The documents of one result (page images named after the file, before any split)."""
    result = analyze_result(as_dict(load_json(path, shown)), shown)
    pages = _pages(result, shown, skip_furniture)
    meta = {
        "model_id": as_str(result.get("modelId")),
        "api_version": as_str(result.get("apiVersion")),
        "content_format": as_str(result.get("contentFormat")) or "text",
    }
    if meta["content_format"] == "markdown":
        meta["markdown"] = as_str(result.get("content"))
    whole = with_page_images(
        Document(Path(shown).stem, shown, "azure-di", pages, meta=meta), image_uri
    )
    entries = [as_dict(d) for d in as_list(result.get("documents"))]
    if len(entries) <= 1:
        fields = fields_of(entries[0].get("fields")) if entries else {}
        classes = _classes(entries)
        return [replace(whole, fields=fields, classes=classes)]
    return [_entry(whole, entry, n) for n, entry in enumerate(entries, 1)]


def _classes(entries: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(t for t in (as_str(e.get("docType")).strip() for e in entries) if t)


def _entry(whole: Document, entry: dict[str, Any], n: int) -> Document:
    numbers = {as_int(as_dict(r).get("pageNumber")) for r in as_list(entry.get("boundingRegions"))}
    pages = [p for p in whole.pages if p.number in numbers] or whole.pages
    return replace(
        whole,
        id=f"{whole.id}-{n}",
        source=f"{whole.source}:document {n}",
        pages=pages,
        fields=fields_of(entry.get("fields")),
        classes=_classes([entry]),
    )


def _pages(result: dict[str, Any], shown: str, skip: bool) -> list[Page]:
    content = Spans(as_str(result.get("content")), as_str(result.get("stringIndexType")))
    specs = [as_dict(p) for p in as_list(result.get("pages"))]
    numbers = [as_int(p.get("pageNumber")) or n for n, p in enumerate(specs, 1)] or [1]
    text = _paragraph_text(result, skip) if result.get("paragraphs") else {}
    tables: dict[int, list[Table | RenderedTable]] = {}
    for spec in as_list(result.get("tables")):
        table = build_table(as_dict(spec))
        if table is not None:
            tables.setdefault(page_of(spec, numbers[0]), []).append(table)
    pairs: dict[int, list[tuple[str, str]]] = {}
    for pair in map(as_dict, as_list(result.get("keyValuePairs"))):
        key = one_line(as_str(as_dict(pair.get("key")).get("content")), sep=" ").rstrip(":").strip()
        value = selection_marks(one_line(as_str(as_dict(pair.get("value")).get("content"))))
        if key:
            pairs.setdefault(page_of(pair.get("key"), numbers[0]), []).append((key, value))
    pages = []
    for number, spec in zip(numbers, specs or [{}], strict=False):
        body = text.get(number) if text else _page_text(spec, content, len(specs) <= 1)
        pages.append(
            Page(
                number,
                body or "",
                key_values=pairs.get(number, []),
                tables=tables.get(number, []),
                source=shown,
            )
        )
    return pages


def _paragraph_text(result: dict[str, Any], skip: bool) -> dict[int, str]:
    by_page: dict[int, list[str]] = {}
    for paragraph in map(as_dict, as_list(result.get("paragraphs"))):
        role = as_str(paragraph.get("role"))
        body = selection_marks(as_str(paragraph.get("content")).strip())
        if not body or (skip and role in _FURNITURE):
            continue
        prefix = _HEADINGS.get(role, "")
        by_page.setdefault(page_of(paragraph), []).append(
            prefix + (one_line(body, sep=" ") if prefix else body)
        )
    return {n: "\n".join(lines) for n, lines in by_page.items()}


def _page_text(spec: dict[str, Any], content: Spans, only_page: bool) -> str:
    lines = [as_str(as_dict(line).get("content")) for line in as_list(spec.get("lines"))]
    if any(line.strip() for line in lines):
        return selection_marks("\n".join(line for line in lines if line.strip()))
    pieces: list[str] = []
    for span in map(as_dict, as_list(spec.get("spans"))):
        offset, length = as_int(span.get("offset")), as_int(span.get("length"))
        piece = None if offset is None or length is None else content.text(offset, length)
        if piece is None:
            pieces = []  # spans that do not fit the content: the content is not this result's
            break
        pieces.append(piece)
    if pieces:
        return selection_marks("".join(pieces).strip())
    return selection_marks(content.content.strip()) if only_page else ""


def read_azure(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of Document Intelligence results (see the module docstring)."""
    opts = textract_options(options, where="azure-di")
    for path in paths:
        for doc in load_documents(Path(path), path, opts.skip_furniture, opts.image_uri):
            yield from document_rows(doc, opts.unit)


SOURCES.add("azure-di", read_azure)
