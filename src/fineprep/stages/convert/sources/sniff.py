"""What a JSON input is, from its content: the first reader whose content test claims it.

A ``.json`` document is parsed whole; a ``.jsonl`` file by its first record (the rest is not
read); a ``.tar.gz`` archive is Comprehend's output when it holds ``predictions.jsonl``.
"""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

import orjson

from fineprep.stages.convert.sources.chat import CHAT_KINDS

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


def import_reader(name: str) -> Any:
    """A reader module, or None when it needs a package that is not installed (an extra)."""
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        if not exc.name or not (name == exc.name or name.startswith(exc.name + ".")):
            raise
        return None


def holds_predictions(p: Path) -> bool:
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
        module = import_reader(module_name)
        if module is not None and getattr(module, function)(value):
            return name
    return kind


#: Lines a JSON Lines file's kind is sniffed from, at most: the first that parses decides (an
#: invalid first line is that line's reject, not the reason every other line is misread).
SNIFF_LINES = 100


def _first_value(p: Path, kind: str) -> Any:
    """The parsed document, or for JSON Lines the first record that parses (read without the
    rest)."""
    try:
        if kind == "jsonl":
            with p.open("rb") as stream:
                return _first_record(stream)
        data = p.read_bytes().removeprefix(b"\xef\xbb\xbf")
    except OSError:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    return _first_record(data.splitlines())  # a .json file that is really JSON Lines


def _first_record(lines: Iterable[bytes]) -> Any:
    for number, line in enumerate(lines):
        if number >= SNIFF_LINES:
            break
        if line.strip():
            body = line.removeprefix(b"\xef\xbb\xbf") if number == 0 else line
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                continue
    return None
    return None
