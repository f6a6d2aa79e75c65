"""Textract ``Blocks`` to pages: reading-order text, key/value pairs, tables, queries, signatures.

Blocks are read defensively because real outputs are hand-edited, trimmed or produced by older
API versions: ``null`` where a list is expected, missing ``Geometry`` or ``Confidence``, legacy
``KEY``/``VALUE`` block types, block types newer than this code. Anything unknown is ignored;
the only structural error is a relationship to a block that is not in the output, which means
the output is incomplete (a missing async part) and converting it would silently lose text.
"""

from __future__ import annotations

from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.document import Page, Query, RenderedTable, Table, one_line
from fineprep.stages.convert.textract.files import (
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
    entity_types,
    kind,
)
from fineprep.stages.convert.textract.tables import build_table

Block = dict[str, Any]

#: Layout blocks that repeat on every page (running headers, footers, page numbers).
FURNITURE = frozenset({"LAYOUT_HEADER", "LAYOUT_FOOTER", "LAYOUT_PAGE_NUMBER"})
_HEADINGS = {"LAYOUT_TITLE": "# ", "LAYOUT_SECTION_HEADER": "## "}


def _box(block: Block) -> tuple[float | None, float | None, float | None]:
    box = as_dict(as_dict(block.get("Geometry")).get("BoundingBox"))
    return as_float(box.get("Top")), as_float(box.get("Left")), as_float(box.get("Height"))


def reading_order(blocks: list[Block]) -> list[Block]:
    """Top to bottom in rows, left to right within a row (row = overlapping half a line height).

    A block without geometry keeps the position of the block before it in output order.
    """
    keyed: list[tuple[float, float, float, int, Block]] = []
    last_top = 0.0
    for seq, block in enumerate(blocks):
        top, left, height = _box(block)
        top = last_top if top is None else top
        last_top = top
        keyed.append((top, left or 0.0, height or 0.01, seq, block))
    keyed.sort(key=lambda k: (k[0], k[3]))
    rows: list[list[tuple[float, float, float, int, Block]]] = []
    for item in keyed:
        if rows and item[0] < rows[-1][0][0] + rows[-1][0][2] / 2:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item[4] for row in rows for item in sorted(row, key=lambda k: (k[1], k[3]))]


class Blocks:
    """The blocks of one document (all async parts merged), indexed by id and by page."""

    def __init__(self, parts: list[tuple[str, list[Any]]]) -> None:
        self.blocks: list[Block] = []
        self.origin: dict[int, str] = {}
        for shown, raw in parts:
            for block in raw:
                if isinstance(block, dict):
                    self.blocks.append(block)
                    self.origin[id(block)] = shown
        self.by_id: dict[str, Block] = {}
        for block in self.blocks:
            bid = block.get("Id")
            if isinstance(bid, str):
                self.by_id.setdefault(bid, block)
        self.page: dict[int, int] = self._assign_pages()

    def rel_ids(self, block: Block, rtype: str) -> list[str]:
        ids: list[str] = []
        for rel in as_list(block.get("Relationships")):
            if isinstance(rel, dict) and rel.get("Type") == rtype:
                ids.extend(i for i in as_list(rel.get("Ids")) if isinstance(i, str))
        return ids

    def related(self, block: Block, rtype: str) -> list[Block]:
        return [self.by_id[i] for i in self.rel_ids(block, rtype) if i in self.by_id]

    def check_references(self, where: str) -> None:
        """Refuse an output whose relationships point at blocks it does not contain."""
        for block in self.blocks:
            for rel in as_list(block.get("Relationships")):
                for ref in as_list(as_dict(rel).get("Ids")):
                    if ref is None or (isinstance(ref, str) and ref in self.by_id):
                        continue
                    raise InputError(
                        f"{self.origin[id(block)]}: {kind(block) or 'a'} block "
                        f"{block.get('Id')!r} refers to block {ref!r}, which is not in {where}; "
                        "the output is truncated or incomplete",
                        hint="convert the complete output: every part file of the job",
                    )

    def _assign_pages(self) -> dict[int, int]:
        """Page of each block: its ``Page``, else the PAGE listing it, else the PAGE before it."""
        pages: dict[int, int] = {}
        child_page: dict[str, int] = {}
        ordinal = 0
        for block in self.blocks:
            if kind(block) == "PAGE":
                ordinal += 1
                number = _page_attr(block) or ordinal
                pages[id(block)] = number
                for child in self.rel_ids(block, "CHILD"):
                    child_page.setdefault(child, number)
        current = 1
        for block in self.blocks:
            if kind(block) == "PAGE":
                current = pages[id(block)]
                continue
            bid = block.get("Id")
            inherited = child_page.get(bid) if isinstance(bid, str) else None
            pages[id(block)] = _page_attr(block) or inherited or current
        return pages

    def page_numbers(self) -> set[int]:
        """Numbers of the pages that have a PAGE block."""
        return {self.page[id(b)] for b in self.blocks if kind(b) == "PAGE"}

    def text(self, block: Block) -> str:
        """Words (and checkbox states) under a block, as one line."""
        parts: list[str] = []
        children = self.related(block, "CHILD")
        if any(kind(c) == "SELECTION_ELEMENT" for c in children):
            # Textract lists checkboxes after the words; put each next to its label.
            children = reading_order(children)
        for child in children:
            ckind = kind(child)
            if ckind == "SELECTION_ELEMENT":
                parts.append("[X]" if child.get("SelectionStatus") == "SELECTED" else "[ ]")
            elif ckind in ("WORD", "LINE"):
                word = as_str(child.get("Text")).strip()
                if word:
                    parts.append(word)
        return " ".join(parts)

    def line_text(self, line: Block) -> str:
        return as_str(line.get("Text")).strip() or self.text(line)

    def pages(self, skip_furniture: bool = False) -> list[Page]:
        by_page: dict[int, list[Block]] = {}
        for block in self.blocks:
            by_page.setdefault(self.page[id(block)], []).append(block)
        result = []
        for number in sorted(by_page):
            blocks = by_page[number]
            first = next((b for b in blocks if kind(b) == "PAGE"), blocks[0])
            result.append(
                Page(
                    number=number,
                    text=self._page_text(blocks, skip_furniture),
                    key_values=self._key_values(blocks),
                    tables=self._tables(blocks),
                    queries=self._queries(blocks),
                    signatures=len(self._of(blocks, "SIGNATURE")),
                    source=self.origin[id(first)],
                )
            )
        return result

    @staticmethod
    def _of(blocks: list[Block], btype: str) -> list[Block]:
        return reading_order([b for b in blocks if kind(b) == btype])

    def _page_text(self, blocks: list[Block], skip_furniture: bool) -> str:
        lines = self._of(blocks, "LINE")
        layouts = [b for b in blocks if kind(b).startswith("LAYOUT_")]
        if not layouts:
            return "\n".join(t for t in map(self.line_text, lines) if t)
        nested = {i for b in layouts for i in self.rel_ids(b, "CHILD")}
        covered: set[str] = set()
        visited: set[int] = set()
        paragraphs = []
        for block in layouts:
            if block.get("Id") not in nested:
                text = self._layout(block, covered, visited, skip_furniture)
                if text:
                    paragraphs.append(text)
        rest = [self.line_text(b) for b in lines if b.get("Id") not in covered]
        if any(rest):
            paragraphs.append("\n".join(t for t in rest if t))
        return "\n\n".join(paragraphs)

    def _layout(self, block: Block, covered: set[str], visited: set[int], skip: bool) -> str:
        if id(block) in visited:
            return ""
        visited.add(id(block))
        btype = kind(block)
        lines = []
        for child in self.related(block, "CHILD"):
            ckind = kind(child)
            if ckind == "LINE":
                covered.add(as_str(child.get("Id")))
                lines.append(self.line_text(child))
            elif ckind.startswith("LAYOUT_"):
                sub = self._layout(child, covered, visited, skip)
                lines.append(f"- {sub}" if sub and btype == "LAYOUT_LIST" else sub)
        text = "\n".join(t for t in lines if t)
        if (skip and btype in FURNITURE) or not text:
            return ""
        prefix = _HEADINGS.get(btype)
        return prefix + one_line(text, sep=" ") if prefix else text

    def _key_values(self, blocks: list[Block]) -> list[tuple[str, str]]:
        keys = [b for b in blocks if kind(b) == "KEY" or _is_kv_key(b)]
        pairs = []
        for key in reading_order(keys):
            name = self.text(key).strip().rstrip(":").strip()
            if name:
                values = (self.text(v) for v in self.related(key, "VALUE"))
                pairs.append((name, " ".join(v for v in values if v)))
        return pairs

    def _queries(self, blocks: list[Block]) -> list[Query]:
        queries = []
        for block in blocks:
            if kind(block) != "QUERY":
                continue
            spec = as_dict(block.get("Query"))
            key = as_str(spec.get("Alias")).strip() or as_str(spec.get("Text")).strip()
            if not key:
                continue
            best = Query(key)
            for result in self.related(block, "ANSWER"):
                answer = as_str(result.get("Text")).strip()
                confidence = as_float(result.get("Confidence")) or 0.0
                if answer and (not best.answer or confidence > best.confidence):
                    best = Query(key, answer, confidence)
            queries.append(best)
        return queries

    def _tables(self, blocks: list[Block]) -> list[Table | RenderedTable]:
        built = (build_table(self, t, self.origin[id(t)]) for t in self._of(blocks, "TABLE"))
        return [t for t in built if t is not None]


def _is_kv_key(block: Block) -> bool:
    return kind(block) == "KEY_VALUE_SET" and "KEY" in entity_types(block)


def _page_attr(block: Block) -> int | None:
    number = as_int(block.get("Page"))
    return number if number is not None and number >= 1 else None
