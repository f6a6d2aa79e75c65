"""AnalyzeExpense and AnalyzeID results: normalised fields, and text when there are no blocks.

Both APIs return one entry per detected document (``ExpenseDocuments``, ``IdentityDocuments``),
each with typed fields and, in newer responses, its own ``Blocks``. A field is named by its
normalised ``Type`` (``TOTAL``, ``FIRST_NAME``); Textract types a field it cannot classify as
``OTHER``, and then its printed label (``Payment Terms``) is the only useful name. A field in an
expense group is named with the group's types first (``VENDOR NAME``, ``RECEIVER_BILL_TO
ADDRESS``), so that whose name or address it is does not depend on the order of the fields. Fields
Textract found no value for are left out: they would teach a model to produce empty answers.

Older AnalyzeExpense responses carry no ``Blocks``; the document's text is then rendered from
the fields (summary lines and a line-item table per page), so the row still has text.
"""

from __future__ import annotations

from typing import Any

from fineprep.stages.convert.document import Expense, Page, expense_fields, one_line, pairs_text
from fineprep.stages.convert.textract.blocks import Blocks
from fineprep.stages.convert.textract.files import as_dict, as_int, as_list, as_str

Pair = tuple[str, str]


def field_pair(item: Any) -> tuple[str, str, int] | None:
    """``(name, value, page)`` of an expense or identity field, or ``None`` if it has no value."""
    spec = as_dict(item)
    ftype = as_str(as_dict(spec.get("Type")).get("Text")).strip()
    label = one_line(as_str(as_dict(spec.get("LabelDetection")).get("Text")), sep=" ")
    name = ftype if ftype and ftype != "OTHER" else (label.rstrip(":").strip() or ftype)
    groups = _group_types(spec)
    if name and groups:
        name = f"{groups} {name}"
    value = as_str(as_dict(spec.get("ValueDetection")).get("Text")).strip()
    if not name or not value:
        return None
    page = as_int(spec.get("PageNumber"))
    return name, value, page if page is not None and page >= 1 else 1


def _group_types(spec: dict[str, Any]) -> str:
    """The field's ``GroupProperties`` types (``VENDOR``, ``RECEIVER_BILL_TO``...), which say
    whose NAME or ADDRESS it is; without them two NAME fields could only be told apart by
    their order, which differs from one invoice to the next."""
    types = (
        t.strip()
        for group in map(as_dict, as_list(spec.get("GroupProperties")))
        for t in as_list(group.get("Types"))
        if isinstance(t, str) and t.strip()
    )
    return " ".join(dict.fromkeys(types))


def merge_entries(parts: list[tuple[str, list[Any]]], index_key: str) -> list[dict[str, Any]]:
    """Entries of all async parts, those with the same index merged (a document split by parts)."""
    merged: dict[Any, dict[str, Any]] = {}
    for shown, entries in parts:
        for position, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            index = as_int(entry.get(index_key))
            key = index if index is not None else f"{shown}#{position}"
            into = merged.setdefault(key, {"_origin": shown})
            for name, value in entry.items():
                if isinstance(value, list):
                    into.setdefault(name, []).extend(value)
                else:
                    into.setdefault(name, value)
    return list(merged.values())


def expense_of(entry: dict[str, Any]) -> tuple[Expense, dict[int, Expense]]:
    """The document's expense data, and the same split by page (for pages without blocks)."""
    summary: list[tuple[str, str, int]] = []
    for item in as_list(entry.get("SummaryFields")):
        pair = field_pair(item)
        if pair:
            summary.append(pair)
    items: list[tuple[list[Pair], int]] = []
    for group in map(as_dict, as_list(entry.get("LineItemGroups"))):
        for line in map(as_dict, as_list(group.get("LineItems"))):
            found = [p for p in map(field_pair, as_list(line.get("LineItemExpenseFields"))) if p]
            kept = [p for p in found if p[0] != "EXPENSE_ROW"] or found
            if kept:
                items.append(([(n, v) for n, v, _ in kept], kept[0][2]))
    by_page: dict[int, Expense] = {}
    for number in sorted({p for *_, p in summary} | {p for _, p in items}):
        by_page[number] = Expense(
            summary=[(n, v) for n, v, p in summary if p == number],
            line_items=[pairs for pairs, p in items if p == number],
        )
    whole = Expense(summary=[(n, v) for n, v, _ in summary], line_items=[i for i, _ in items])
    return whole, by_page


def identity_of(entry: dict[str, Any]) -> list[tuple[str, str, int]]:
    fields = map(field_pair, as_list(entry.get("IdentityDocumentFields")))
    return [f for f in fields if f]


def entry_pages(entry: dict[str, Any], source: str, skip_furniture: bool) -> list[Page]:
    """Pages from the entry's own blocks (empty list when it has none)."""
    blocks = Blocks([(source, as_list(entry.get("Blocks")))])
    blocks.check_references(source)
    return blocks.pages(skip_furniture)


def expense_pages(by_page: dict[int, Expense], source: str) -> list[Page]:
    pages = []
    for number, expense in by_page.items():
        rendered = expense_fields(expense)
        text = "\n\n".join(t for t in (rendered["summary_text"], rendered["line_items_table"]) if t)
        pages.append(Page(number=number, text=text, source=source))
    return pages


def identity_pages(fields: list[tuple[str, str, int]], source: str) -> list[Page]:
    numbers = sorted({p for *_, p in fields})
    return [
        Page(n, pairs_text([(k, v) for k, v, p in fields if p == n]), source=source)
        for n in numbers
    ]
