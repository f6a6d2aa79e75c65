"""The document model shared by every document reader, and its rendering to template fields.

Readers of document sources (Amazon Textract responses including Analyze Lending and A2I, IDP
results, Azure AI Document Intelligence, Google Document AI, Bedrock Data Automation, Comprehend)
build a :class:`Document` of :class:`Page` values; this module turns them into the plain fields
that templates address. The field names are a public contract (users write them in templates),
so they are produced here, in one place, for every document source.

``document`` (every row of a document source):

- ``id``: document id (file stem, async job id, or the IDP document id)
- ``source``: where it came from (file, or ``dir/[first..last]`` for multi-part outputs)
- ``kind``: ``text-detection``, ``document-analysis``, ``expense``, ``identity``, ``lending``,
  ``a2i``, ``idp``, ``azure-di``, ``docai``, ``bda`` or ``comprehend``
- ``pages``: number of pages; ``page_numbers``: their numbers (1-based, in order)
- ``text``: reading-order text, pages separated by a blank line
- ``key_values``: ``{"Name": "Jane Doe"}`` (keys without a trailing colon; a repeated key gets
  a suffix: ``"Date"``, ``"Date (2)"``); ``key_value_pairs``: ``[{"key", "value"}]`` in reading
  order; ``kv_text``: one ``key: value`` line per pair
- ``tables``: Markdown tables; ``queries``: ``{"alias or question": "answer"}`` (``""`` when
  unanswered); ``queries_text``: one ``alias: answer`` line per query; ``signatures``: count
- ``expense``: ``{"summary": {TYPE: value}, "summary_text", "line_items": [{TYPE: value}],
  "line_items_table"}`` (AnalyzeExpense; empty for other kinds)
- ``identity``: ``{"fields": {TYPE: value}, "text"}`` (AnalyzeID; empty for other kinds)
- ``fields``: the extracted fields as nested JSON (Azure ``documents[].fields``, Document AI
  entities, Lending fields, A2I human answers, BDA custom output), the document's own when it
  has them, else the pages' merged (a repeated name gets a suffix); ``fields_json``: the same as
  canonical JSON (sorted keys, no spaces), the usual completion for extraction
- ``class``: the document's class (``""`` when none); ``classes``: every class, most likely
  first (Lending page types, Azure ``docType``, Document AI classifier labels, Comprehend)
- ``images``: S3 URIs of the page images (the row's images too); ``meta``: what the service
  said about the file (model, API version, S3 location...), for templates and the sidecar

``page`` (rows of ``unit="page"``): ``number``, ``source``, ``text``, ``key_values``,
``key_value_pairs``, ``kv_text``, ``tables``, ``queries``, ``queries_text``, ``signatures``,
``fields``, ``fields_json``, ``class``, ``classes``, ``images``.

Every key is always present (empty when the source has no such data) so that a template
written for one response shape does not fail on another with an undefined variable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import orjson

V = TypeVar("V")


@dataclass(frozen=True)
class Table:
    """A table already laid out as a grid: one combined header row and the body rows."""

    header: list[str]
    body: list[list[str]]
    title: str = ""
    footer: str = ""

    def markdown(self) -> str:
        """GitHub-flavoured Markdown; the title and footer (if any) as plain lines around it."""
        width = max([len(self.header)] + [len(row) for row in self.body])
        lines = [_md_row(self.header, width), "| " + " | ".join(["---"] * width) + " |"]
        lines.extend(_md_row(row, width) for row in self.body)
        parts = [one_line(self.title, sep=" ")] if self.title.strip() else []
        parts.append("\n".join(lines))
        if self.footer.strip():
            parts.append(one_line(self.footer, sep=" "))
        return "\n\n".join(parts)


def _md_row(cells: list[str], width: int) -> str:
    padded = [md_cell(c) for c in cells] + [""] * (width - len(cells))
    return "| " + " | ".join(padded) + " |"


def md_cell(text: str) -> str:
    """A cell on one line, with ``|`` escaped so that it cannot split the row."""
    return one_line(text, sep=" ").replace("|", "\\|")


def one_line(text: str, sep: str = ", ") -> str:
    """Collapse a multi-line value (an address) onto one line for ``key: value`` rendering."""
    return sep.join(part.strip() for part in text.splitlines() if part.strip())


@dataclass(frozen=True)
class RenderedTable:
    """A table the service already wrote as Markdown (Bedrock Data Automation)."""

    text: str

    def markdown(self) -> str:
        return self.text


@dataclass(frozen=True)
class Query:
    """A Textract query: its alias (or question text) and the best answer on one page."""

    key: str
    answer: str = ""
    confidence: float = -1.0


@dataclass(frozen=True)
class Page:
    number: int
    text: str
    key_values: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table | RenderedTable] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    signatures: int = 0
    source: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    classes: tuple[str, ...] = ()
    images: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """Nothing to learn from: a class alone is a label, not content."""
        return not (
            self.text.strip()
            or self.key_values
            or self.tables
            or self.signatures
            or self.fields
            or self.images
            or any(q.answer for q in self.queries)
        )


@dataclass(frozen=True)
class Expense:
    """AnalyzeExpense results: summary fields and line items as (name, value) pairs."""

    summary: list[tuple[str, str]] = field(default_factory=list)
    line_items: list[list[tuple[str, str]]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.summary or self.line_items)


@dataclass(frozen=True)
class Document:
    id: str
    source: str
    kind: str
    pages: list[Page]
    expense: Expense = field(default_factory=Expense)
    identity: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    classes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def is_empty(self) -> bool:
        pages_empty = all(p.is_empty() for p in self.pages)
        return pages_empty and self.expense.is_empty() and not self.identity and not self.fields

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(uri for p in self.pages for uri in p.images))

    def select_pages(self, numbers: list[int]) -> Document:
        """The same document restricted to ``numbers`` (1-based, in the given order)."""
        by_number = {p.number: p for p in self.pages}
        return replace(self, pages=[by_number[n] for n in numbers if n in by_number])


def unique_keys(pairs: Iterable[tuple[str, V]]) -> dict[str, V]:
    """A dict from pairs that keeps every pair: a repeated key becomes ``key (2)``, ``key (3)``."""
    out: dict[str, V] = {}
    for key, value in pairs:
        name, n = key, 1
        while name in out:
            n += 1
            name = f"{key} ({n})"
        out[name] = value
    return out


def pairs_text(pairs: list[tuple[str, str]]) -> str:
    """``key: value`` lines; a multi-line value is folded onto its line with ``, ``."""
    return "\n".join(f"{key}: {one_line(value)}".rstrip() for key, value in pairs)


def merge_queries(queries: list[Query]) -> dict[str, str]:
    """One answer per query: the most confident one when several pages answered it."""
    best: dict[str, Query] = {}
    for q in queries:
        old = best.get(q.key)
        if old is None or (q.answer and (not old.answer or q.confidence > old.confidence)):
            best[q.key] = q
    return {key: q.answer for key, q in best.items()}


def fields_json(fields: dict[str, Any]) -> str:
    """Canonical JSON of extracted fields: sorted keys, no spaces (the same fields, the same
    text, whichever reader produced them)."""
    return orjson.dumps(
        fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
    ).decode()


def merged_fields(pages: list[Page]) -> dict[str, Any]:
    """The pages' fields in one object; a name on several pages gets a suffix (``NAME (2)``)."""
    return unique_keys(kv for page in pages for kv in page.fields.items())


def _labels(
    fields: dict[str, Any], classes: tuple[str, ...], images: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "fields": fields,
        "fields_json": fields_json(fields),
        "class": classes[0] if classes else "",
        "classes": list(classes),
        "images": list(images),
    }


def _common(
    text: str,
    kvs: list[tuple[str, str]],
    tables: list[Table | RenderedTable],
    queries: list[Query],
    signatures: int,
) -> dict[str, Any]:
    answers = merge_queries(queries)
    return {
        "text": text,
        "key_values": unique_keys(kvs),
        "key_value_pairs": [{"key": k, "value": v} for k, v in kvs],
        "kv_text": pairs_text(kvs),
        "tables": [t.markdown() for t in tables],
        "queries": answers,
        "queries_text": pairs_text(list(answers.items())),
        "signatures": signatures,
    }


def page_fields(page: Page) -> dict[str, Any]:
    fields: dict[str, Any] = {"number": page.number, "source": page.source}
    fields.update(_common(page.text, page.key_values, page.tables, page.queries, page.signatures))
    fields.update(_labels(page.fields, page.classes, page.images))
    return fields


def document_text(doc: Document) -> str:
    return "\n\n".join(p.text for p in doc.pages if p.text.strip())


def expense_fields(expense: Expense) -> dict[str, Any]:
    items = [unique_keys(item) for item in expense.line_items]
    columns: list[str] = []
    for values in items:
        columns.extend(name for name in values if name not in columns)
    rows = [[values.get(c, "") for c in columns] for values in items]
    return {
        "summary": unique_keys(expense.summary),
        "summary_text": pairs_text(expense.summary),
        "line_items": items,
        "line_items_table": Table(header=columns, body=rows).markdown() if columns else "",
    }


def document_fields(doc: Document) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": doc.id, "source": doc.source, "kind": doc.kind}
    fields["pages"] = len(doc.pages)
    fields["page_numbers"] = [p.number for p in doc.pages]
    fields.update(
        _common(
            document_text(doc),
            [kv for p in doc.pages for kv in p.key_values],
            [t for p in doc.pages for t in p.tables],
            [q for p in doc.pages for q in p.queries],
            sum(p.signatures for p in doc.pages),
        )
    )
    fields["expense"] = expense_fields(doc.expense)
    fields["identity"] = {"fields": unique_keys(doc.identity), "text": pairs_text(doc.identity)}
    classes = doc.classes or tuple(dict.fromkeys(c for p in doc.pages for c in p.classes))
    fields.update(_labels(doc.fields or merged_fields(doc.pages), classes, doc.images))
    fields["meta"] = doc.meta
    return fields
