"""Which reader handles each input: by ``--source``, else by extension and content.

A folder is expanded into the files inside it (hidden files and links out of the folder left
out), so a folder of forty Textract responses is forty inputs, each read, counted and, when
unusable, reported on its own. A ``.json`` or ``.jsonl`` file (and an extension-less numbered
part such as Textract's ``1``, ``2``) is offered to each reader's content test in
:data:`~.sniff.SNIFFERS` order; the first that recognises it wins, otherwise it is plain
JSON. Files in a folder that no reader takes (the PDFs next to an output) are skipped with a
notice; a file named on the command line that no reader takes is a failed input. ``s3://``
objects and prefixes are planned like files and folders (:mod:`.remote`).

Consecutive inputs of one kind are handed to their reader together, because some readers need
the whole set (the parts of an asynchronous Textract job, the shards of a Document AI document).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError, InputError, MissingInput
from fineprep.io.aws import AwsOptions
from fineprep.io.jsonl import require_regular_file
from fineprep.io.remote import is_remote
from fineprep.stages.convert.sources import remote
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, failed_input, isolate
from fineprep.stages.convert.sources.sniff import holds_predictions, import_reader, sniff_file

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
_JSONISH = frozenset({"json", "jsonl"})
#: The readers of this package that also take encoding/delimiter/sheet options.
TABULAR = frozenset({"csv", "xlsx", "parquet", "arrow", "json", "jsonl"})
#: Kinds whose reader needs all its files at once (grouped parts, shards, paired outputs).
SETS = frozenset({"textract", "idp", "docai", "bda"})
_READERS = (
    "fineprep.stages.convert.sources.tabular",
    "fineprep.stages.convert.sources.openai_chat",
    "fineprep.stages.convert.sources.sharegpt",
    "fineprep.stages.convert.sources.alpaca",
    "fineprep.stages.convert.textract.reader",
    "fineprep.stages.convert.idp.reader",
    "fineprep.stages.convert.azure.reader",
    "fineprep.stages.convert.docai.reader",
    "fineprep.stages.convert.bda.reader",
    "fineprep.stages.convert.comprehend.reader",
)
_REFUSED = {
    ".xls": "an Excel 97-2003 workbook: save it as .xlsx or CSV",
    ".pdf": "a PDF: run it through a document service (Textract, ...) and convert its output",
}


def load_readers() -> None:
    """Register every source reader (a reader module that is not installed is left out)."""
    for name in _READERS:
        import_reader(name)


@dataclass
class Plan:
    """The inputs of one conversion: groups of one kind, every file, and what was left out."""

    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    failed: dict[str, InputError] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: How S3 inputs are read (None: no input is in S3), and their sizes.
    aws: AwsOptions | None = None
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, _ in self.groups if kind))

    def __iter__(self) -> Iterator[tuple[str, list[str]]]:
        return iter(self.groups)


def kind_of(path: str, forced: str | None, *, chat: bool = True) -> str:
    """The source kind of one input file (a folder only with ``forced``; ``chat``: whether
    JSON may be taken for a chat file, which is not so when a template maps its fields)."""
    if forced:
        if forced not in SOURCES:
            load_readers()
        if forced not in SOURCES:
            raise ConfigError(
                f"unknown source kind {forced!r}", hint=f"use one of {', '.join(SOURCES)}"
            )
        return forced
    p = Path(path)
    if p.is_dir():
        raise InputError(
            f"{path}: is a directory",
            hint="pass the files inside it, or --source KIND for a folder a reader takes whole",
        )
    if not p.exists():
        raise MissingInput(f"{path}: no such file", hint="check the path")
    kind = extension_kind(p)
    if kind is None:
        raise unknown_type(path, p.suffix)
    if kind in _JSONISH:
        return sniff_file(p, kind, chat=chat)
    return kind


def unknown_type(path: str, suffix: str) -> InputError:
    """The refusal of an input no reader takes by its extension."""
    why = _REFUSED.get(suffix.lower())
    if why:
        return InputError(f"{path}: {why}")
    known = ", ".join(sorted(EXTENSIONS))
    return InputError(
        f"{path}: unknown file type {suffix or '(no extension)'!r}",
        hint=f"pass --source KIND (known extensions: {known})",
    )


def extension_kind(p: Path) -> str | None:
    name = p.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "comprehend" if holds_predictions(p) else None
    kind = EXTENSIONS.get(p.suffix.lower())
    if kind is None and p.name.isdigit():
        return "json"  # a numbered part object (Textract and Lending outputs in S3)
    return kind


def _folder_files(folder: Path) -> list[Path]:
    inside = folder.resolve()
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        # A link out of the folder is not part of it.
        and p.resolve().is_relative_to(inside)
    ]
    from fineprep.stages.convert.textract.files import natural_key

    return sorted(found, key=lambda p: natural_key(p.relative_to(folder).as_posix()))


def plan(
    paths: list[str], forced: str | None, *, chat: bool = True, aws: AwsOptions | None = None
) -> Plan:
    """Expand folders, find each file's kind, and group consecutive inputs of one kind
    (``chat``: whether JSON may be taken for chat files; not when templates map fields;
    ``aws``: how ``s3://`` inputs are read)."""
    load_readers()
    if forced:
        kind_of("", forced)  # an unknown --source is a configuration error, before anything
    result = Plan()
    for given in paths:
        if is_remote(given):
            result.aws = aws or AwsOptions()
            _plan_remote(result, given, forced, chat, result.aws)
            continue
        root = Path(given)
        if root.is_dir():
            inside = _folder_files(root)
            if not inside:
                add(result, given, None, InputError(f"{given}: the folder is empty"))
            for path in inside:
                shown = str(root / path.relative_to(root))
                try:
                    kind = _folder_kind(path, forced, chat)
                except InputError:
                    result.skipped.append(shown)
                    continue
                add(result, shown, kind, None)
            continue
        if root.exists():
            require_regular_file(given)  # a FIFO or a device never ends: refused up front
        try:
            add(result, given, kind_of(given, forced, chat=chat), None)
        except InputError as exc:
            add(result, given, None, exc)
    return result


def _plan_remote(result: Plan, given: str, forced: str | None, chat: bool, aws: AwsOptions) -> None:
    """An object planned like a file, a prefix like a folder (see :mod:`.remote`)."""

    def local_kind(path: str, forced: str | None, chat: bool) -> str:
        return kind_of(path, forced, chat=chat)

    inside = remote.objects(given, aws)
    for uri, size in inside if inside is not None else [(given, -1)]:
        try:
            kind = remote.kind_of_object(
                uri, forced, chat, aws, inside is not None, local_kind, extension_kind, unknown_type
            )
        except InputError as exc:
            if inside is not None:
                result.skipped.append(uri)
            else:
                add(result, uri, None, exc)
            continue
        if size >= 0:
            result.sizes[uri] = size
        add(result, uri, kind, None)
    if inside == []:
        add(result, given, None, InputError(f"{given}: no objects under this prefix"))


def _folder_kind(path: Path, forced: str | None, chat: bool) -> str:
    """A folder's file is taken when its extension is an input's (or it is a numbered part)."""
    if forced:
        if extension_kind(path) is None:
            raise InputError(f"{path}: not an input file")
        return forced
    return kind_of(str(path), None, chat=chat)


def add(result: Plan, path: str, kind: str | None, error: InputError | None) -> None:
    result.files.append(path)
    if error is not None:
        result.failed[path] = error
        result.groups.append(("", [path]))
        return
    assert kind is not None
    if result.groups and result.groups[-1][0] == kind:
        result.groups[-1][1].append(path)
    else:
        result.groups.append((kind, [path]))


def iter_items(plan: Plan, options_for: Callable[[str], dict[str, Any]]) -> Iterator[SourceItem]:
    """Every row and reject of every input, in input order (``options_for(kind)`` gives each
    reader its options). An input that cannot be read becomes one reject naming it."""
    for kind, paths in plan.groups:
        if not kind:
            yield failed_input(paths, plan.failed[paths[0]])
            continue
        try:
            options = options_for(kind)
        except InputError as exc:  # options these files' reader does not take: refuse them
            for path in paths:
                yield failed_input([path], InputError(f"{path}: {exc.message}", hint=exc.hint))
            continue
        if plan.aws is not None and remote.any_remote(paths):
            read = partial(_group_items, kind, options=options)
            notices = remote.options_notices(options)
            yield from remote.fetched_items(paths, plan.aws, read, notices)
        else:
            yield from _group_items(kind, paths, options)


def _group_items(kind: str, paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    reader = SOURCES.get(kind)
    if kind in SETS:
        # The reader isolates its own sets (a job's parts, a document's shards).
        yield from isolate(paths, partial(reader, paths, options))
        return
    for path in paths:
        yield from isolate([path], partial(reader, [path], options))
