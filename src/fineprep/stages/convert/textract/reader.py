"""The ``textract`` source: Amazon Textract responses as documents or pages for templates.

Accepted: DetectDocumentText, AnalyzeDocument (FORMS, TABLES, QUERIES, LAYOUT, SIGNATURES),
AnalyzeExpense and AnalyzeID responses, and the asynchronous Get* outputs saved as several
files (see :mod:`fineprep.stages.convert.textract.files`). Inputs are files or folders.

Options (``[convert.source]`` or the Python API):

- ``unit``: ``"document"`` (default; one row per document) or ``"page"`` (one row per page;
  ``source`` like ``doc-42.json:page 3``).
- ``allow_partial`` (default false): a PARTIAL_SUCCESS job is refused, because the pages
  Textract could not process would be missing from the dataset without anyone noticing; set it
  to convert the pages that were processed.
- ``skip_furniture`` (default false): leave running headers, footers and page numbers (LAYOUT
  blocks) out of the text.
- ``image_uri``: the S3 URI pattern of the page images (``s3://b/{id}/{page}.png``, see
  :mod:`fineprep.stages.convert.page_images`); each row then carries its pages' images.

Template fields: ``document`` (every row) and ``page`` (page rows), described in
:mod:`fineprep.stages.convert.document`. ``document.text`` is the reading-order text: LAYOUT
blocks in Textract's reading order when the response has them (titles as ``# ``, section
headers as ``## ``, list items as ``- ``), else LINE blocks sorted top to bottom and left to
right. Checkboxes render as ``[X]`` / ``[ ]``.

Refused with an :class:`~fineprep.core.errors.InputError` before any row is produced: FAILED,
IN_PROGRESS and (by default) PARTIAL_SUCCESS jobs, truncated outputs (a ``NextToken`` whose next
part is missing, relationships to blocks that are not there, fewer PAGE blocks than
``DocumentMetadata.Pages``), files that are not JSON or not a Textract response. A document or
page with no text at all becomes a :class:`~fineprep.stages.convert.sources.base.SourceReject`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.document import Document, Page, document_fields, page_fields
from fineprep.stages.convert.page_images import check_image_pattern, with_page_images
from fineprep.stages.convert.sources.base import (
    SOURCES,
    SourceItem,
    SourceReject,
    SourceRow,
    failed_input,
    isolate,
)
from fineprep.stages.convert.textract.a2i import a2i_parts
from fineprep.stages.convert.textract.blocks import Blocks
from fineprep.stages.convert.textract.fields import (
    entry_pages,
    expense_of,
    expense_pages,
    identity_of,
    identity_pages,
    merge_entries,
)
from fineprep.stages.convert.textract.files import (
    Group,
    as_dict,
    as_int,
    as_list,
    kind,
    load_json,
)
from fineprep.stages.convert.textract.lending import lending_document
from fineprep.stages.convert.textract.scan import scan_all
from fineprep.stages.convert.textract.sniff import (
    is_a2i,
    is_lending,
    is_lending_summary,
    sniff_textract,
)

__all__ = ["TextractOptions", "load_group", "read_textract", "sniff_textract"]

_TEXT_ONLY = frozenset({"PAGE", "LINE", "WORD"})
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class TextractOptions:
    unit: str = "document"
    allow_partial: bool = False
    skip_furniture: bool = False
    image_uri: str | None = None


def as_bool(name: str, value: Any, where: str) -> bool:
    """A boolean option given as a TOML boolean or as text from the command line."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{where} source: option {name!r} must be true or false, not {value!r}")


def textract_options(options: dict[str, Any], where: str = "textract") -> TextractOptions:
    known = {"unit", "allow_partial", "skip_furniture", "image_uri", "notices"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(
            f"{where} source: unknown option {unknown[0]!r} "
            "(known: unit, allow_partial, skip_furniture, image_uri)"
        )
    image_uri = options.get("image_uri") or None
    if image_uri is not None:
        if not isinstance(image_uri, str):
            raise ConfigError(f"{where} source: option 'image_uri' must be a string")
        check_image_pattern(image_uri, where)
    unit = options.get("unit", "document")
    if unit not in ("document", "page"):
        raise ConfigError(f"{where} source: unit must be 'document' or 'page', not {unit!r}")
    return TextractOptions(
        unit=unit,
        allow_partial=as_bool("allow_partial", options.get("allow_partial", False), where),
        skip_furniture=as_bool("skip_furniture", options.get("skip_furniture", False), where),
        image_uri=image_uri,
    )


def load_group(group: Group, opts: TextractOptions) -> list[Document]:
    """The documents of one output (several for AnalyzeExpense/AnalyzeID with several entries;
    none for an Analyze Lending summary, which holds no page content)."""
    objs = [(p.shown, as_dict(load_json(p.path, p.shown))) for p in group.parts]
    if any(is_lending(o) for _, o in objs):
        declared = None if group.partial else _declared(objs)
        return [lending_document(group.doc_id, group.source, objs, declared)]
    if all(is_lending_summary(o) for _, o in objs):
        return []
    if len(objs) == 1 and is_a2i(objs[0][1]):
        shown = objs[0][0]
        response, answers, meta = a2i_parts(objs[0][1], shown)
        docs = _documents(group, [(shown, response)], opts)
        return [replace(d, kind="a2i", fields=answers, meta=meta) for d in docs]
    return _documents(group, objs, opts)


def _declared(objs: list[tuple[str, dict[str, Any]]]) -> int:
    return max((as_int(as_dict(o.get("DocumentMetadata")).get("Pages")) or 0) for _, o in objs)


def _documents(
    group: Group, objs: list[tuple[str, dict[str, Any]]], opts: TextractOptions
) -> list[Document]:
    expense = [(s, as_list(o.get("ExpenseDocuments"))) for s, o in objs]
    identity = [(s, as_list(o.get("IdentityDocuments"))) for s, o in objs]
    if any(entries for _, entries in expense):
        return _entry_documents(group, merge_entries(expense, "ExpenseIndex"), "expense", opts)
    if any(entries for _, entries in identity):
        return _entry_documents(group, merge_entries(identity, "DocumentIndex"), "identity", opts)
    for shown, obj in objs:
        if obj.get("Blocks") is not None and not isinstance(obj.get("Blocks"), list):
            raise InputError(f"{shown}: Blocks is not a list", hint="pass Textract's JSON as is")
    blocks = Blocks([(s, as_list(o.get("Blocks"))) for s, o in objs])
    blocks.check_references(group.source)
    if not group.partial:
        _check_page_count(blocks, _declared(objs), group.source)
    if any(key == "AnalyzeDocumentModelVersion" for _, o in objs for key in o):
        doc_kind = "document-analysis"
    elif any(key == "DetectDocumentTextModelVersion" for _, o in objs for key in o):
        doc_kind = "text-detection"
    else:
        only_text = all(kind(b) in _TEXT_ONLY for b in blocks.blocks)
        doc_kind = "text-detection" if only_text else "document-analysis"
    pages = blocks.pages(opts.skip_furniture)
    return [Document(group.doc_id, group.source, doc_kind, pages)]


def _check_page_count(blocks: Blocks, declared: int, source: str) -> None:
    present = blocks.page_numbers()
    if not present or declared <= len(present):
        return
    missing = [n for n in range(1, min(declared, 100_000) + 1) if n not in present][:5]
    raise InputError(
        f"{source}: DocumentMetadata declares {declared} pages but pages {missing} have no "
        "PAGE block; the output is truncated",
        hint="fetch every part of the job's output and convert all the part files together",
    )


def _entry_documents(
    group: Group, entries: list[dict[str, Any]], doc_kind: str, opts: TextractOptions
) -> list[Document]:
    docs = []
    for n, entry in enumerate(entries, 1):
        many = len(entries) > 1
        doc_id = f"{group.doc_id}-{n}" if many else group.doc_id
        source = f"{group.source}:{doc_kind} {n}" if many else group.source
        pages = entry_pages(entry, str(entry["_origin"]), opts.skip_furniture)
        if doc_kind == "expense":
            whole, by_page = expense_of(entry)
            docs.append(
                Document(doc_id, source, doc_kind, pages or expense_pages(by_page, source), whole)
            )
        else:
            fields = identity_of(entry)
            pages = pages or identity_pages(fields, source)
            docs.append(
                Document(doc_id, source, doc_kind, pages, identity=[(k, v) for k, v, _ in fields])
            )
    return docs


def document_rows(
    doc: Document, unit: str, extra: dict[str, Any] | None = None, image_uri: str | None = None
) -> Iterator[SourceItem]:
    """The rows of one document: itself, or each of its pages; empty ones as rejects
    (``image_uri``: the pattern naming its page images in S3)."""
    doc = with_page_images(doc, image_uri)
    fields = document_fields(doc)
    meta = {"document_id": doc.id, **(extra or {})}
    if unit == "document" or not doc.pages:
        if doc.is_empty():
            yield SourceReject(doc.source, _empty("document", doc.classes))
        else:
            yield SourceRow({"document": fields}, doc.source, doc.images, extra=meta)
        return
    for page in doc.pages:
        yield _page_row(fields, page, doc.source, meta)


def _empty(what: str, classes: tuple[str, ...]) -> str:
    label = f"classified {classes[0]}, but " if classes else ""
    if what == "page":
        return f"{label}no text, fields or image on this page (blank page?)"
    return f"{label}no text, fields or page images in the document (blank?)"


def _page_row(
    fields: dict[str, Any], page: Page, doc_source: str, meta: dict[str, Any]
) -> SourceItem:
    where = f"{page.source or doc_source}:page {page.number}"
    if page.is_empty():
        return SourceReject(where, _empty("page", page.classes))
    row = {"document": fields, "page": page_fields(page)}
    return SourceRow(row, where, page.images, extra=meta)


def read_textract(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of Textract outputs (files or folders); see the module docstring.

    Options and every file's status are checked here, before the first row is produced, so a
    failed job stops the run before anything is written.
    """
    opts = textract_options(options)
    groups, failures = scan_all(paths, opts.allow_partial)
    return _rows(groups, failures, opts, options.setdefault("notices", []))


def _rows(
    groups: list[Group],
    failures: list[tuple[list[str], InputError]],
    opts: TextractOptions,
    notices: list[str],
) -> Iterator[SourceItem]:
    for files, error in failures:
        yield failed_input(files, error)
    for group in groups:
        rows = partial(_group_rows, group, opts, notices)
        yield from isolate([p.shown for p in group.parts], rows)


def _group_rows(group: Group, opts: TextractOptions, notices: list[str]) -> Iterator[SourceItem]:
    docs = load_group(group, opts)
    if not docs:
        notices.append(
            f"{group.source}: an Analyze Lending summary (document groups without their pages); "
            "skipped: the job's detailedResponse parts hold the pages and fields"
        )
    for doc in docs:
        yield from document_rows(doc, opts.unit, image_uri=opts.image_uri)


SOURCES.add("textract", read_textract)
