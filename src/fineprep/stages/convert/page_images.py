"""Page images in S3 named by a pattern: ``s3://bucket/{id}/pages/{page}.png``.

Document services return text, not the page images a multimodal model trains on; those usually
sit in S3 under a name made of the document id and the page number. ``image_uri`` (a source
option of every document reader) gives the pattern, with ``{id}``, ``{page}`` (1-based) and
``{page_index}`` (0-based); each row then carries its pages' images, and a conversation record
gets them as image blocks.
"""

from __future__ import annotations

import string
from dataclasses import replace

from fineprep.core.errors import ConfigError
from fineprep.stages.convert.document import Document

_PLACEHOLDERS = frozenset({"id", "page", "page_index"})


def check_image_pattern(pattern: str, where: str) -> str:
    """The pattern, or a configuration error saying what is wrong with it."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{where} source: image_uri {pattern!r}: {exc}") from None
    if not pattern.startswith("s3://") or not names <= _PLACEHOLDERS:
        raise ConfigError(
            f"{where} source: image_uri {pattern!r} must be an s3:// URI pattern using only "
            "{id}, {page} and {page_index}"
        )
    return pattern


def image_uris(pattern: str, doc_id: str, numbers: list[int]) -> list[str]:
    """The URIs of pages ``numbers`` (one URI when the pattern names no page)."""
    if "{page" not in pattern:
        return [pattern.format(id=doc_id, page=1, page_index=0)]
    return [pattern.format(id=doc_id, page=n, page_index=n - 1) for n in numbers]


def with_page_images(doc: Document, pattern: str | None) -> Document:
    """The document with each page's image URI from ``pattern`` (unchanged without one)."""
    if pattern is None:
        return doc
    if "{page" not in pattern:
        uri = tuple(image_uris(pattern, doc.id, []))
        return replace(doc, pages=[replace(p, images=uri) for p in doc.pages[:1]] + doc.pages[1:])
    pages = [replace(p, images=tuple(image_uris(pattern, doc.id, [p.number]))) for p in doc.pages]
    return replace(doc, pages=pages)
