"""The ``idp`` source: IDP extraction results (fields or a class) paired with their documents.

Training a model to extract fields or classify documents needs, per document, its content (the
prompt) and the expected result (the completion). The result files are read in the shapes
listed in :mod:`fineprep.stages.convert.idp.shapes`; the content comes from the Textract output of
the same document (``textract_dir``), from text in the result record itself, and/or from page
images in S3.

Options:

- ``textract_dir``: folder of Textract outputs (any layout the ``textract`` source reads). A
  result is paired with the output whose JobId, file stem or numbered-parts folder equals its
  document id; the id is also tried without a document extension (``doc-42.pdf``), folder
  (``invoice/doc-42``) or ground-truth suffix (``sample_1099_gt``). A result that covers some
  pages (an accelerator section, a packet sub-document) gets only those pages.
- ``id_key`` (default ``document_id``): the id key of generic records.
- ``image_uri``: page image URIs as a pattern with ``{id}``, ``{page}`` (1-based) and
  ``{page_index}`` (0-based), e.g. ``s3://bucket/{id}/pages/{page}/image.jpg``; image URIs
  listed in a record's ``pages`` take precedence.
- ``allow_partial``, ``skip_furniture``: as for the ``textract`` source.

Template fields: ``document`` (as for Textract, see :mod:`fineprep.stages.convert.document`; kind
``idp`` when the text comes from the record), ``fields`` (the extracted fields, nested as in
the result), ``class`` (``""`` when the result has none) and ``fields_json`` (the fields as
canonical JSON: sorted keys, no spaces; the usual completion for extraction). The document's
own ``fields``, ``fields_json`` and ``class`` are the result's too, so ``{{ document.fields_json
}}`` means the same for this source as for the others. A row's ``images`` are the page image
URIs.

A result is rejected (with the reason, never dropped) when its Textract output is missing or
ambiguous, its pages are not in that output, or it has neither text nor page images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import ConfigError
from fineprep.stages.convert.document import Document, Page, document_fields
from fineprep.stages.convert.idp.shapes import GT_SUFFIX, IdpDoc, read_results
from fineprep.stages.convert.page_images import check_image_pattern, image_uris
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, SourceReject, SourceRow
from fineprep.stages.convert.textract.files import Group, expand_paths
from fineprep.stages.convert.textract.reader import TextractOptions, load_group, textract_options
from fineprep.stages.convert.textract.scan import scan

__all__ = ["read_idp"]

_OPTIONS = ("textract_dir", "id_key", "image_uri", "allow_partial", "skip_furniture")
_DOC_EXT = re.compile(r"\.(pdf|png|jpe?g|tiff?|json|txt)$", re.IGNORECASE)


@dataclass(frozen=True)
class IdpOptions:
    textract_dir: str | None
    id_key: str
    image_uri: str | None
    textract: TextractOptions


def idp_options(options: dict[str, Any]) -> IdpOptions:
    unknown = sorted(set(options) - {*_OPTIONS, "notices"})
    if unknown:
        raise ConfigError(
            f"idp source: unknown option {unknown[0]!r} (known: {', '.join(_OPTIONS)})"
        )
    for name in ("textract_dir", "id_key", "image_uri"):
        if options.get(name) is not None and not isinstance(options[name], str):
            raise ConfigError(f"idp source: option {name!r} must be a string")
    image_uri = options.get("image_uri") or None
    if image_uri is not None:
        check_image_pattern(image_uri, "idp")
    passed: dict[str, Any] = {
        k: options[k] for k in ("allow_partial", "skip_furniture") if k in options
    }
    return IdpOptions(
        textract_dir=options.get("textract_dir") or None,
        id_key=options.get("id_key") or "document_id",
        image_uri=image_uri,
        textract=textract_options(passed, where="idp"),
    )


def _strip(name: str) -> str:
    while _DOC_EXT.search(name):
        name = _DOC_EXT.sub("", name)
    return name


def candidates(ids: list[str]) -> list[str]:
    """Names to look a document id up by, most specific first."""
    out: list[str] = []
    for doc_id in ids:
        bare = _strip(doc_id)
        for name in (doc_id, bare, Path(doc_id).name, Path(bare).name):
            out.extend((name, GT_SUFFIX.sub("", name)))
    return [n for n in dict.fromkeys(out) if n]


class Pairing:
    """Textract outputs in a folder, found by document id; the last one loaded is kept."""

    def __init__(self, folder: str, opts: TextractOptions) -> None:
        self.folder = folder
        self.opts = opts
        self.groups: list[Group] = scan([folder], opts.allow_partial)
        self.index: dict[str, list[int]] = {}
        for n, group in enumerate(self.groups):
            for name in dict.fromkeys(k for s in group.stems for k in (s, _strip(s))):
                self.index.setdefault(name, []).append(n)
        self._cached: tuple[int, list[Document]] | None = None

    def find(self, ids: list[str]) -> Document | str:
        """The paired document, or the reason there is none."""
        names = candidates(ids)
        for name in names:
            hits = self.index.get(name)
            if not hits:
                continue
            if len(hits) > 1:
                found = ", ".join(self.groups[h].source for h in hits[:3])
                return f"document id {name!r} matches several Textract outputs ({found})"
            docs = self._load(hits[0])
            if len(docs) != 1:
                return (
                    f"Textract output {self.groups[hits[0]].source} holds {len(docs)} "
                    "documents; pair each IDP result with a single-document output"
                )
            return docs[0]
        looked = ", ".join(repr(n) for n in names[:4])
        return f"no Textract output in {self.folder} for document {ids[0]!r} (looked for {looked})"

    def _load(self, n: int) -> list[Document]:
        if self._cached is None or self._cached[0] != n:
            self._cached = (n, load_group(self.groups[n], self.opts))
        return self._cached[1]


def _own_document(doc: IdpDoc) -> Document:
    """The document as far as the result record itself describes it (no Textract output)."""
    numbers = doc.pages or sorted(doc.page_texts) or ([1] if doc.text else [])
    pages = [Page(n, doc.page_texts.get(n, ""), source=doc.source) for n in numbers]
    if doc.text and not doc.page_texts:
        pages = [Page(numbers[0], doc.text, source=doc.source), *pages[1:]]
    return Document(doc.doc_id, doc.source, "idp", pages)


def _images(doc: IdpDoc, document: Document, pattern: str | None) -> list[str] | str:
    """Page image URIs, or the reason they cannot be given."""
    if doc.images:
        bad = [uri for uri in doc.images if not uri.startswith("s3://")]
        return f"page image {bad[0]!r} is not an s3:// URI" if bad else doc.images
    if pattern is None:
        return []
    numbers = [p.number for p in document.pages]
    if not numbers and "{page" in pattern:
        return (
            f"image_uri needs page numbers, but the pages of document {doc.doc_id!r} are "
            "unknown (give textract_dir, or pages in the result)"
        )
    return image_uris(pattern, doc.doc_id, numbers)


def build_row(doc: IdpDoc, opts: IdpOptions, pairing: Pairing | None) -> SourceItem:
    if pairing is None:
        document = _own_document(doc)
    else:
        found = pairing.find(doc.ids)
        if isinstance(found, str):
            return SourceReject(doc.source, found)
        have = [p.number for p in found.pages]
        missing = [n for n in doc.pages if n not in have]
        if missing:
            return SourceReject(
                doc.source,
                f"pages {missing[:5]} are not in the Textract output {found.source} "
                f"(it has {len(have)} pages)",
            )
        document = replace(found.select_pages(doc.pages) if doc.pages else found, id=doc.doc_id)
    images = _images(doc, document, opts.image_uri)
    if isinstance(images, str):
        return SourceReject(doc.source, images)
    if document.is_empty() and not images:
        return SourceReject(
            doc.source,
            f"no text and no page images for document {doc.doc_id!r} "
            "(give textract_dir, image_uri, or text in the result)",
        )
    # The result is this document's extraction: its fields and class are the document's too,
    # as every document source's are (the Textract output's forms stay in key_values).
    classes = (doc.cls,) if doc.cls else document.classes
    document = replace(document, fields=doc.fields or document.fields, classes=classes)
    fields = {
        "document": document_fields(document),
        "fields": doc.fields,
        "class": doc.cls,
        "fields_json": orjson.dumps(doc.fields, option=orjson.OPT_SORT_KEYS).decode(),
    }
    extra = {"document_id": doc.doc_id, **doc.extra}
    return SourceRow(fields, doc.source, tuple(images), extra=extra)


def _is_result_file(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in (".json", ".jsonl")


def read_idp(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of IDP results (files or folders); see the module docstring.

    Options and the Textract outputs are checked here, before the first row is produced.
    """
    opts = idp_options(options)
    files = expand_paths(paths, _is_result_file, "IDP result files (*.json, *.jsonl)")
    pairing = Pairing(opts.textract_dir, opts.textract) if opts.textract_dir else None
    return _rows(files, opts, pairing)


def _rows(
    files: list[tuple[Path, str]], opts: IdpOptions, pairing: Pairing | None
) -> Iterator[SourceItem]:
    for path, shown in files:
        for item in read_results(path, shown, opts.id_key):
            yield item if isinstance(item, SourceReject) else build_row(item, opts, pairing)


SOURCES.add("idp", read_idp)
