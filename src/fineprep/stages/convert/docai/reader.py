"""The ``docai`` source: Google Document AI ``Document`` JSON, whole or in shards.

Reads what Document AI writes: the ``Document`` of an online ``process`` call (or its
``ProcessResponse`` with the document under ``document``), and batch-process outputs, where a
large document is written as shards ``<name>-0.json``, ``<name>-1.json``... in one folder, each
with ``shardInfo`` (``shardIndex``, ``shardCount``, ``textOffset``) and its own ``text``. The
shards of one document are read in ``shardIndex`` order (file names need not follow it) and
become one document; a shard index missing from ``0..shardCount-1``, or given twice, or a
``textOffset`` that does not follow the shards before it, refuses that document with the shard
named, because converting the rest would silently drop its pages. Only files with
``shardInfo`` are joined: ``invoice-2023.json`` without it is a document of its own. Layout
Parser outputs (``documentLayout``) are read as well (see :mod:`.layout`); protobuf JSON with
snake_case field names is read as the camelCase one.

The document model (see :mod:`.document`): reading-order text per page, form fields, tables,
entities as ``fields``, classifier and splitter labels as ``classes``; ``meta`` holds the
``uri`` and ``mimeType``. Options: ``unit``, ``skip_furniture`` and ``image_uri``, as for
Textract. A document
whose ``error`` is set is refused with the error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from fineprep.core.errors import InputError
from fineprep.stages.convert.docai.document import Shard, group_values, read_shard
from fineprep.stages.convert.docai.layout import layout_pages
from fineprep.stages.convert.document import Document
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, failed_input, isolate
from fineprep.stages.convert.textract.files import (
    as_dict,
    as_str,
    camel_keys,
    load_json,
    natural_key,
)
from fineprep.stages.convert.textract.reader import (
    TextractOptions,
    document_rows,
    textract_options,
)

_SHARD_NAME = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)$")


def _document(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    inner = value.get("document")
    return inner if isinstance(inner, dict) else value


def sniff_docai(value: Any) -> bool:
    """A Document AI ``Document`` (text with pages, entities or shard info; or a layout)."""
    doc = _document(value)
    if doc is None:
        return False
    if "shardInfo" in doc or "shard_info" in doc or "documentLayout" in doc:
        return True
    if isinstance(doc.get("error"), dict) and ("mimeType" in doc or "uri" in doc):
        return True  # a document Document AI could not process: the reader says why
    if not isinstance(doc.get("text"), str):
        return False
    pages = doc.get("pages")
    first = pages[0] if isinstance(pages, list) and pages else None
    page_like = isinstance(first, dict) and any(
        k in first for k in ("pageNumber", "layout", "dimension", "page_number")
    )
    entities = doc.get("entities")
    entity = entities[0] if isinstance(entities, list) and entities else None
    entity_like = isinstance(entity, dict) and "type" in entity
    return page_like or entity_like or "mimeType" in doc


def family(path: str) -> tuple[str, str]:
    """The document a file is a shard of: its folder and its name without ``-<n>``."""
    p = Path(path)
    match = _SHARD_NAME.match(p.stem)
    return str(p.parent), match.group("stem") if match else p.stem


def load_shard(path: str, skip_furniture: bool) -> Shard:
    doc = _document(load_json(Path(path), path))
    if doc is None:
        raise InputError(f"{path}: not a Document AI document (a JSON object)")
    if "shard_info" in doc or "mime_type" in doc or "document_layout" in doc:
        doc = camel_keys(doc)  # protobuf JSON with the proto field names
    error = as_dict(doc.get("error"))
    if error:
        raise InputError(
            f"{path}: Document AI reports an error ({error.get('code')}: "
            f"{as_str(error.get('message'))}); process the document again"
        )
    shard = read_shard(doc, path)
    if not shard.pages and isinstance(doc.get("documentLayout"), dict):
        shard.pages = layout_pages(doc["documentLayout"], path, skip_furniture)
    return shard


def combine(
    paths: list[str], skip_furniture: bool, loaded: dict[str, Shard] | None = None
) -> Document:
    """The document of a set of shards, checked complete and put in shard order (``loaded``:
    the shards already read, by path)."""
    shards = [((loaded or {}).get(p) or load_shard(p, skip_furniture), p) for p in paths]
    counts = sorted({s.count for s, _ in shards})
    # A file without shardInfo is a whole document: a number ending its name is no shard index.
    stem = family(paths[0])[1] if shards[0][0].sharded else Path(paths[0]).stem
    shown = paths[0] if len(paths) == 1 else f"{Path(paths[0]).parent}/{stem}-*.json"
    if len(counts) > 1:
        raise InputError(
            f"{shown}: the shards disagree on how many there are ({counts}); outputs of "
            "different runs in one folder?",
            hint="convert the shards of one batch-process output",
        )
    by_index: dict[int, str] = {}
    for shard, path in shards:
        if shard.index in by_index:
            raise InputError(
                f"{shown}: shard {shard.index} twice ({by_index[shard.index]}, {path})",
                hint="convert the shards of one batch-process output",
            )
        by_index[shard.index] = path
    missing = [n for n in range(counts[0]) if n not in by_index]
    if missing:
        named = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise InputError(
            f"{shown}: shard{'s' if len(missing) > 1 else ''} {named} of {counts[0]} "
            f"{'are' if len(missing) > 1 else 'is'} missing (found {len(shards)}); the document "
            "would lose its pages",
            hint=f"copy every {stem}-<n>.json of the output and convert them together",
        )
    ordered = sorted(shards, key=lambda sp: sp[0].index)
    _check_offsets(ordered, shown)
    pages = [page for shard, _ in ordered for page in shard.pages]
    classes = [c for shard, _ in ordered for c in shard.classes]
    fields = group_values([e for shard, _ in ordered for e in shard.entities])
    ranked = tuple(dict.fromkeys(kind for _, kind in sorted(classes, key=lambda c: -c[0])))
    meta = {**ordered[0][0].meta, "shards": len(shards)}
    return Document(stem, shown, "docai", pages, fields=fields, classes=ranked, meta=meta)


def _check_offsets(ordered: list[tuple[Shard, str]], shown: str) -> None:
    """Each shard's text starts where the shards before it end (``textOffset`` counts the
    characters of the whole document's text); when it does not, the shards are not one
    output's, and joining them would put one document's pages into another."""
    before = 0
    for shard, path in ordered:
        if shard.offset is not None and shard.offset != before:
            raise InputError(
                f"{shown}: {path} (shard {shard.index}) says its text starts at character "
                f"{shard.offset}, but the shards before it hold {before}; shards of different "
                "documents or runs?",
                hint="convert the shards of one batch-process output",
            )
        before += shard.length


def read_docai(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of Document AI outputs (see the module docstring); each document's shards are read
    together, and a document that cannot be read is one reject for its shard files."""
    opts = textract_options(options, where="docai")
    families: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        families.setdefault(family(path), []).append(path)
    for files in families.values():
        files.sort(key=natural_key)
        if len(files) == 1:
            yield from isolate(files, partial(_rows, files, opts))
        else:
            yield from _family_rows(files, opts)


def _family_rows(files: list[str], opts: TextractOptions) -> Iterator[SourceItem]:
    """Files named like the shards of one document (``invoice-2023.json``,
    ``invoice-2024.json``): only those with ``shardInfo`` are its shards; every other one is a
    document of its own whose name merely ends in a number."""
    loaded: dict[str, Shard] = {}
    for path in files:
        try:
            loaded[path] = load_shard(path, opts.skip_furniture)
        except InputError as exc:
            yield failed_input([path], exc)
    shards = [p for p in files if p in loaded and loaded[p].sharded]
    for path in files:
        if path in loaded and not loaded[path].sharded:
            yield from isolate([path], partial(_rows, [path], opts, loaded))
        elif shards and path == shards[0]:
            yield from isolate(shards, partial(_rows, shards, opts, loaded))


def _rows(
    files: list[str], opts: TextractOptions, loaded: dict[str, Shard] | None = None
) -> Iterator[SourceItem]:
    doc = combine(files, opts.skip_furniture, loaded)
    extra = {"shards": len(files)} if len(files) > 1 else None
    yield from document_rows(doc, opts.unit, extra, opts.image_uri)


SOURCES.add("docai", read_docai)
