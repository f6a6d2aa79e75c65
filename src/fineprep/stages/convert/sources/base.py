"""The contract between source readers and record builders.

A source reader turns one input (a CSV, a Parquet file, a set of Textract responses...) into a
stream of :class:`SourceRow` values: plain fields a template can address, plus where the row came
from. A row that cannot be read becomes a :class:`SourceReject` in the same stream, so the
converter can write it to the rejects file and keep going: nothing is silently dropped.

Readers raise :class:`fineprep.core.errors.InputError` only when the whole input is unusable (a
FAILED Textract job, a binary file named ``.csv``), with the file named in the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from fineprep.core.registry import Registry


@dataclass(frozen=True)
class SourceRow:
    """One convertible unit: a table row, a document, a document page.

    ``fields`` are what templates see (nested dicts/lists allowed: ``{{ document.text }}``).
    ``source`` is the human location written to the sidecar: ``deeds.csv:row 17``,
    ``doc-42.json:page 3``. ``images`` are S3 URIs of page images that belong to the row.
    """

    fields: dict[str, Any]
    source: str
    images: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceReject:
    """A row or document that could not be read, with the reason a person can act on."""

    source: str
    reason: str
    raw: str | None = None


SourceItem = SourceRow | SourceReject


class SourceReader(Protocol):
    """A callable that streams the items of one or more input paths."""

    def __call__(self, paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]: ...


#: Source kinds by name (``csv``, ``parquet``, ``jsonl``, ``textract``, ``idp``...).
SOURCES: Registry[SourceReader] = Registry("source")
