"""Which reader handles each input: by ``--source``, else by extension and content.

A ``.json`` file may be a Textract response, so it is offered to ``sniff_textract`` when the
Textract reader is installed; otherwise it is plain JSON. Consecutive inputs of one kind are
handed to their reader together, because some readers need the whole set (the parts of an
asynchronous Textract job).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.convert.sources.base import SOURCES, SourceItem

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
#: The readers of this package that also take encoding/delimiter and report notices.
TABULAR = frozenset({"csv", "parquet", "arrow", "json", "jsonl"})
_PLUGINS = ("fineprep.stages.convert.textract.reader", "fineprep.stages.convert.idp.reader")


def load_readers() -> None:
    """Register every source reader: the tabular ones and, when present, Textract and IDP."""
    import_module("fineprep.stages.convert.sources.tabular")
    for name in _PLUGINS:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def kind_of(path: str, forced: str | None) -> str:
    """The source kind of one input path."""
    if forced:
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
    kind = EXTENSIONS.get(p.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise InputError(
            f"{path}: unknown file type {p.suffix or '(no extension)'!r}",
            hint=f"pass --source KIND (known extensions: {known})",
        )
    if kind == "json" and _is_textract(p):
        return "textract"
    return kind


def _is_textract(p: Path) -> bool:
    if "textract" not in SOURCES:
        return False
    try:
        module = import_module("fineprep.stages.convert.textract.reader")
        sniff = getattr(module, "sniff_textract", None)
        if sniff is None:
            return False
        obj = orjson.loads(p.read_bytes())
    except (orjson.JSONDecodeError, OSError):
        return False
    return bool(sniff(obj))


def plan(paths: list[str], forced: str | None) -> list[tuple[str, list[str]]]:
    """Group consecutive inputs of the same kind: ``[(kind, [path, ...]), ...]``."""
    load_readers()
    groups: list[tuple[str, list[str]]] = []
    for path in paths:
        kind = kind_of(path, forced)
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(path)
        else:
            groups.append((kind, [path]))
    return groups


def iter_items(
    groups: list[tuple[str, list[str]]], options_for: Callable[[str], dict[str, Any]]
) -> Iterator[SourceItem]:
    """Every row and reject of every input, in input order (``options_for(kind)`` gives each
    reader its options)."""
    for kind, paths in groups:
        yield from SOURCES.get(kind)(paths, options_for(kind))
