"""The IDP result shapes the ``idp`` source accepts, read into one :class:`IdpDoc` each.

Detected per file (a JSON Lines file is always the generic shape):

- **generic**: ``{"document_id": "doc-42", "fields": {...}, "class": "invoice", "text": "...",
  "pages": [{"number": 1, "image": "s3://...", "text": "..."}]}`` as one JSON object, a JSON
  array of them, or JSON Lines; every key but the id is optional, but a record needs fields or
  a class. The id key is configurable (``id_key``).
- **section result** of the GenAI IDP accelerator (``<doc>/sections/<n>/result.json``):
  ``{"document_class": {"type": ...}, "split_document": {"page_indices": [0, 1]},
  "inference_result": {...}}``; the document id is the ``<doc>`` folder, pages are the
  0-based ``page_indices`` plus one.
- **packet manifest** (the accelerator's document-splitting test set, ``packets.json``):
  ``{"packets": [{"packet_id", "subdocuments": [{"doc_type_id", "page_ordinals", ...}]}]}``;
  one result per sub-document: class ``doc_type_id``, pages ``page_ordinals`` of the packet
  document ``packet_id``.
- **bare fields** (accelerator ground truth such as ``sample_1099_gt.json``): any other JSON
  object is the extracted fields of one document whose id is the file stem without a
  ground-truth suffix (``sample_1099``; the suffix marks the file, it is not the document's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fineprep.stages.convert.sources.base import SourceReject
from fineprep.stages.convert.textract.files import (
    as_dict,
    as_int,
    as_list,
    as_str,
    load_json,
)
from fineprep.stages.convert.textract.sniff import sniff_textract

#: Suffixes that name a results file rather than the document (``sample_1099_gt``).
GT_SUFFIX = re.compile(r"[._-](gt|ground[._-]?truth|baseline|results?)$", re.IGNORECASE)


@dataclass
class IdpDoc:
    """One extraction result: what the model should learn to produce for one document."""

    source: str
    ids: list[str]
    fields: dict[str, Any] = field(default_factory=dict)
    cls: str = ""
    text: str = ""
    pages: list[int] = field(default_factory=list)
    page_texts: dict[int, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return self.ids[0]


IdpItem = IdpDoc | SourceReject


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def read_results(path: Path, shown: str, id_key: str) -> Iterator[IdpItem]:
    """The results in one file, in file order; unreadable records as rejects."""
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl(path, shown, id_key)
        return
    obj = load_json(path, shown)
    if isinstance(obj, list):
        for n, item in enumerate(obj, 1):
            yield generic(item, f"{shown}:item {n}", id_key)
    elif not isinstance(obj, dict):
        yield SourceReject(shown, "not a JSON object or array of IDP results")
    elif sniff_textract(obj):
        yield SourceReject(
            shown, "a Textract response, not an IDP result (pass Textract outputs as textract_dir)"
        )
    elif isinstance(obj.get("packets"), list):
        yield from _packets(obj["packets"], shown)
    elif id_key in obj:
        yield generic(obj, shown, id_key)
    elif isinstance(obj.get("inference_result"), dict) or isinstance(
        obj.get("document_class"), dict
    ):
        yield _section_result(obj, path, shown)
    else:
        yield IdpDoc(shown, [GT_SUFFIX.sub("", path.stem) or path.stem, path.stem], fields=obj)


def _jsonl(path: Path, shown: str, id_key: str) -> Iterator[IdpItem]:
    with path.open("rb") as stream:
        for number, line in enumerate(stream, 1):
            where = f"{shown}:line {number}"
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line)
            except orjson.JSONDecodeError as exc:
                yield SourceReject(
                    where, f"not valid JSON ({exc.msg})", line.decode(errors="replace")
                )
                continue
            yield generic(obj, where, id_key)


def generic(obj: Any, source: str, id_key: str) -> IdpItem:
    """A generic record (see the module docstring), or a reject saying what is wrong with it."""
    if not isinstance(obj, dict):
        return SourceReject(source, "not a JSON object")
    doc_id = _id(obj.get(id_key))
    if not doc_id:
        return SourceReject(source, f"no {id_key!r} (the document id)")
    fields = obj.get("fields")
    if fields is not None and not isinstance(fields, dict):
        return SourceReject(source, "'fields' is not a JSON object")
    cls = obj.get("class")
    if cls is not None and not isinstance(cls, str):
        return SourceReject(source, "'class' is not a string")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        return SourceReject(source, "'text' is not a string")
    if not fields and not (cls or "").strip():
        return SourceReject(source, f"document {doc_id!r} has neither 'fields' nor 'class'")
    doc = IdpDoc(source, [doc_id], fields=fields or {}, cls=(cls or "").strip(), text=text or "")
    for position, page in enumerate(as_list(obj.get("pages")), 1):
        if not isinstance(page, dict):
            return SourceReject(source, f"pages[{position - 1}] is not a JSON object")
        number = as_int(page.get("number"))
        number = number if number is not None and number >= 1 else position
        doc.pages.append(number)
        if isinstance(page.get("text"), str):
            doc.page_texts[number] = page["text"]
        if isinstance(page.get("image"), str):
            doc.images.append(page["image"].strip())
    return doc


def _page_list(values: Any, offset: int) -> list[int]:
    numbers = [as_int(v) for v in as_list(values)]
    return [n + offset for n in numbers if n is not None and n + offset >= 1]


def _section_result(obj: dict[str, Any], path: Path, shown: str) -> IdpItem:
    parts = path.parts
    where = len(parts) - 1 - parts[::-1].index("sections") if "sections" in parts[:-1] else -1
    doc_id = parts[where - 1] if where >= 1 else path.stem
    extra = {"section": parts[where + 1]} if 0 <= where < len(parts) - 2 else {}
    cls = as_str(as_dict(obj.get("document_class")).get("type")).strip()
    fields = as_dict(obj.get("inference_result"))
    if not fields and not cls:
        return SourceReject(shown, "section result with neither inference_result nor class")
    pages = _page_list(as_dict(obj.get("split_document")).get("page_indices"), 1)
    return IdpDoc(shown, [doc_id], fields=fields, cls=cls, pages=pages, extra=extra)


def _packets(packets: list[Any], shown: str) -> Iterator[IdpItem]:
    for n, packet in enumerate(map(as_dict, packets), 1):
        packet_id = _id(packet.get("packet_id")) or _id(packet.get("original_doc_id"))
        ids = [i for i in (packet_id, _id(packet.get("original_doc_id"))) if i]
        for k, sub in enumerate(map(as_dict, as_list(packet.get("subdocuments"))), 1):
            source = f"{shown}:{packet_id or f'packet {n}'} section {k}"
            cls = _id(sub.get("doc_type_id"))
            pages = _page_list(sub.get("page_ordinals"), 0)
            if not ids:
                yield SourceReject(source, "packet without packet_id or original_doc_id")
            elif not cls or not pages:
                yield SourceReject(source, "sub-document without doc_type_id or page_ordinals")
            else:
                extra = {"packet_id": packet_id, "section": k}
                extra.update({k2: sub[k2] for k2 in ("source_pdf", "source_pages") if k2 in sub})
                yield IdpDoc(source, ids, cls=cls, pages=pages, extra=extra)
