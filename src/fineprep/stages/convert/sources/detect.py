"""Which reader handles each input: by ``--source``, else by extension and content.

A folder is expanded into the files inside it (hidden files and links out of the folder left
out), so a folder of forty Textract responses is forty inputs, each read, counted and, when
unusable, reported on its own. A ``.json`` or ``.jsonl`` file (and an extension-less numbered
part such as Textract's ``1``, ``2``) is offered to each reader's content test in
:data:`SNIFFERS` order; the first that recognises it wins, otherwise it is plain JSON. Files in a
folder that no reader takes (the PDFs next to an output) are skipped with a notice; a file named
on the command line that no reader takes is a failed input.

Consecutive inputs of one kind are handed to their reader together, because some readers need
the whole set (the parts of an asynchronous Textract job, the shards of a Document AI document).
"""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import ConfigError, InputError
from fineprep.io.jsonl import require_regular_file
from fineprep.stages.convert.sources.base import SOURCES, SourceItem, failed_input, isolate
from fineprep.stages.convert.sources.chat import CHAT_KINDS

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
#: Content tests for JSON inputs, in order: kind -> "module:function" taking the parsed value
#: (a ``.json`` document, or the first line of a ``.jsonl`` file).
SNIFFERS = (
    ("textract", "fineprep.stages.convert.textract.sniff:sniff_textract"),
    ("azure-di", "fineprep.stages.convert.azure.reader:sniff_azure"),
    ("docai", "fineprep.stages.convert.docai.reader:sniff_docai"),
    ("bda", "fineprep.stages.convert.bda.reader:sniff_bda"),
    ("comprehend", "fineprep.stages.convert.comprehend.reader:sniff_comprehend"),
    ("openai-chat", "fineprep.stages.convert.sources.openai_chat:sniff_openai"),
    ("sharegpt", "fineprep.stages.convert.sources.sharegpt:sniff_sharegpt"),
    ("alpaca", "fineprep.stages.convert.sources.alpaca:sniff_alpaca"),
)
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
        _module(name)


def _module(name: str) -> Any:
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        if not exc.name or not (name == exc.name or name.startswith(exc.name + ".")):
            raise
        return None


@dataclass
class Plan:
    """The inputs of one conversion: groups of one kind, every file, and what was left out."""

    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    failed: dict[str, InputError] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

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
        raise InputError(f"{path}: no such file", hint="check the path")
    kind = _extension_kind(p)
    if kind is None:
        why = _REFUSED.get(p.suffix.lower())
        if why:
            raise InputError(f"{path}: {why}")
        known = ", ".join(sorted(EXTENSIONS))
        raise InputError(
            f"{path}: unknown file type {p.suffix or '(no extension)'!r}",
            hint=f"pass --source KIND (known extensions: {known})",
        )
    if kind in _JSONISH:
        return sniff_file(p, kind, chat=chat)
    return kind


def _extension_kind(p: Path) -> str | None:
    name = p.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "comprehend" if _holds_predictions(p) else None
    kind = EXTENSIONS.get(p.suffix.lower())
    if kind is None and p.name.isdigit():
        return "json"  # a numbered part object (Textract and Lending outputs in S3)
    return kind


def _holds_predictions(p: Path) -> bool:
    try:
        with tarfile.open(p, "r:gz") as tar:
            return any(name.endswith("predictions.jsonl") for name in tar.getnames())
    except (tarfile.TarError, OSError, gzip.BadGzipFile, EOFError):
        return False


def sniff_file(p: Path, kind: str, *, chat: bool = True) -> str:
    """A JSON file's kind from its content: the first :data:`SNIFFERS` entry that claims it."""
    value = _first_value(p, kind)
    if value is None:
        return kind
    for name, spec in SNIFFERS:
        if not chat and name in CHAT_KINDS:
            continue
        module_name, _, function = spec.partition(":")
        module = _module(module_name)
        if module is not None and getattr(module, function)(value):
            return name
    return kind


def _first_value(p: Path, kind: str) -> Any:
    """The parsed document, or for JSON Lines the first record (read without the rest)."""
    try:
        if kind == "jsonl":
            with p.open("rb") as stream:
                for number, line in enumerate(stream):
                    if line.strip():
                        body = line.removeprefix(b"\xef\xbb\xbf") if number == 0 else line
                        return orjson.loads(body)
            return None
        data = p.read_bytes().removeprefix(b"\xef\xbb\xbf")
    except (OSError, orjson.JSONDecodeError):
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    for line in data.splitlines():  # a .json file that is really JSON Lines
        if line.strip():
            try:
                return orjson.loads(line)
            except orjson.JSONDecodeError:
                return None
    return None


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


def plan(paths: list[str], forced: str | None, *, chat: bool = True) -> Plan:
    """Expand folders, find each file's kind, and group consecutive inputs of one kind
    (``chat``: whether JSON may be taken for chat files; not when templates map fields)."""
    load_readers()
    if forced:
        kind_of("", forced)  # an unknown --source is a configuration error, before anything
    result = Plan()
    for given in paths:
        root = Path(given)
        if root.is_dir():
            inside = _folder_files(root)
            if not inside:
                _add(result, given, None, InputError(f"{given}: the folder is empty"))
            for path in inside:
                shown = str(root / path.relative_to(root))
                try:
                    kind = _folder_kind(path, forced, chat)
                except InputError:
                    result.skipped.append(shown)
                    continue
                _add(result, shown, kind, None)
            continue
        if root.exists():
            require_regular_file(given)  # a FIFO or a device never ends: refused up front
        try:
            _add(result, given, kind_of(given, forced, chat=chat), None)
        except InputError as exc:
            _add(result, given, None, exc)
    return result


def _folder_kind(path: Path, forced: str | None, chat: bool) -> str:
    """A folder's file is taken when its extension is an input's (or it is a numbered part)."""
    if forced:
        if _extension_kind(path) is None:
            raise InputError(f"{path}: not an input file")
        return forced
    return kind_of(str(path), None, chat=chat)


def _add(result: Plan, path: str, kind: str | None, error: InputError | None) -> None:
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
        reader = SOURCES.get(kind)
        options = options_for(kind)
        if kind in SETS:
            # The reader isolates its own sets (a job's parts, a document's shards).
            yield from isolate(paths, partial(reader, paths, options))
            continue
        for path in paths:
            yield from isolate([path], partial(reader, [path], options))
