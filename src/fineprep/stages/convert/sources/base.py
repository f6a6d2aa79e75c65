"""The contract between source readers and record builders.

A source reader turns one input (a CSV, a Parquet file, a set of Textract responses...) into a
stream of :class:`SourceRow` values: plain fields a template can address, plus where the row came
from. A row that cannot be read becomes a :class:`SourceReject` in the same stream, so the
converter can write it to the rejects file and keep going: nothing is silently dropped.

Readers raise :class:`fineprep.core.errors.InputError` when a whole input is unusable (a FAILED
Textract job, a binary file named ``.csv``), with the file named in the message. The reading
layer (:func:`isolate`) turns that into a reject for that file (``files`` says which), so a
folder with three bad files among forty reports all three in one run and converts the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fineprep.core.errors import InputError
from fineprep.core.registry import Registry


@dataclass(slots=True)
class SourceRow:
    """One convertible unit: a table row, a document, a document page.

    ``fields`` are what templates see (nested dicts/lists allowed: ``{{ document.text }}``).
    ``source`` is the human location written to the sidecar: ``deeds.csv:row 17``,
    ``doc-42.json:page 3``. ``images`` are S3 URIs of page images that belong to the row.
    Not frozen: one is made per table row, and a frozen dataclass's ``__init__`` (a
    ``object.__setattr__`` per field) costs 3x a slotted one's; nothing changes a row.
    """

    fields: dict[str, Any]
    source: str
    images: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceReject:
    """A row or document that could not be read, with the reason a person can act on.

    ``files`` is set when a whole input failed: the files it stands for (one file, or the part
    files of one Textract job or shards of one Document AI document). ``error`` keeps the
    exception, so a run of a single input can still fail with it.
    """

    source: str
    reason: str
    raw: str | None = None
    files: tuple[str, ...] = ()
    error: InputError | None = field(default=None, compare=False, repr=False)


SourceItem = SourceRow | SourceReject


class SourceReader(Protocol):
    """A callable that streams the items of one or more input paths."""

    def __call__(self, paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]: ...


#: Source kinds by name (``csv``, ``parquet``, ``jsonl``, ``textract``, ``idp``...).
SOURCES: Registry[SourceReader] = Registry("source")


def failed_input(files: Sequence[str], error: InputError) -> SourceReject:
    """The reject standing for input files that could not be read at all."""
    shown = files[0] if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more files)"
    return SourceReject(shown, str(error), None, tuple(files), error)


def isolate(
    files: Sequence[str], items: Callable[[], Iterable[SourceItem]]
) -> Iterator[SourceItem]:
    """The items of one input (a file, or a set read together); a reject if it is unusable.

    Rows yielded before a failure stay converted: they were read correctly, and the reject
    names the row or line where reading stopped.
    """
    try:
        yield from items()
    except InputError as exc:
        yield failed_input(files, exc)
