"""Finding and reading Textract output files, and the tolerant accessors every reader uses.

An asynchronous Textract job returns its result in parts (``NextToken`` chains); a
:class:`Group` is the part files of one output, as :mod:`fineprep.stages.convert.textract.scan`
finds them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.errors import InputError

_BOM = b"\xef\xbb\xbf"


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_SNAKE = re.compile(r"_([a-z0-9])")


def camel_keys(value: Any, labelled: Callable[[str, dict[str, Any]], bool] | None = None) -> Any:
    """A JSON value with snake_case keys (SDK dictionaries, protobuf field names) written in the
    services' REST camelCase (``page_number`` -> ``pageNumber``), values unchanged.

    ``labelled(name, obj)`` says whether the object under key ``name`` of ``obj`` is keyed by
    the user's own labels (a custom model's field names, like ``invoice_no``): those keys are
    data and are kept as written; only the values under them are converted.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = _SNAKE.sub(lambda m: m.group(1).upper(), str(key))
            if labelled is not None and isinstance(item, dict) and labelled(name, value):
                out[name] = {str(k): camel_keys(v, labelled) for k, v in item.items()}
            else:
                out[name] = camel_keys(item, labelled)
        return out
    if isinstance(value, list):
        return [camel_keys(v, labelled) for v in value]
    return value


def kind(block: dict[str, Any]) -> str:
    return as_str(block.get("BlockType"))


def entity_types(block: dict[str, Any]) -> list[str]:
    return [t for t in as_list(block.get("EntityTypes")) if isinstance(t, str)]


def load_json(path: Path, shown: str) -> Any:
    """Parse a JSON file, or raise an :class:`InputError` naming the file, line and column."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file", hint="check the path") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a directory", hint="pass the files inside it") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        raise InputError(f"{shown}: empty file", hint="remove it or replace it with the output")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"{shown}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})",
            hint="pass the JSON files exactly as the service wrote them",
        ) from None


def natural_key(text: str) -> list[tuple[int, int | str]]:
    """Sort key that puts part ``2`` before part ``10``."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text) if t]


def _is_part_file(path: Path) -> bool:
    name = path.name
    return not name.startswith(".") and (name.lower().endswith(".json") or name.isdigit())


def expand_paths(
    paths: list[str],
    accept: Callable[[Path], bool] = _is_part_file,
    what: str = "Textract output files (*.json, or parts 1, 2...)",
) -> list[tuple[Path, str]]:
    """Files to read, as (path, name shown in messages); a folder gives the files it accepts."""
    files: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for given in paths:
        root = Path(given)
        if root.is_dir():
            inside = root.resolve()
            found = sorted(
                (
                    p
                    for p in root.rglob("*")
                    # A link out of the folder is not part of it (a folder of scans must not
                    # read /etc because someone linked it there).
                    if p.is_file() and accept(p) and p.resolve().is_relative_to(inside)
                ),
                key=lambda p: natural_key(p.relative_to(root).as_posix()),
            )
            if not found:
                raise InputError(f"{given}: no {what} in this folder")
            pairs = [(p, str(Path(given) / p.relative_to(root))) for p in found]
        elif root.exists():
            pairs = [(root, given)]
        else:
            raise InputError(f"{given}: no such file or directory", hint="check the path")
        for path, shown in pairs:
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                files.append((path, shown))
    return files


@dataclass
class Part:
    path: Path
    shown: str
    next_token: bool


@dataclass
class Group:
    """The part files of one Textract output, in order."""

    doc_id: str
    parts: list[Part] = field(default_factory=list)
    job_id: str = ""
    partial: bool = False

    @property
    def source(self) -> str:
        if len(self.parts) == 1:
            return self.parts[0].shown
        first, last = self.parts[0], self.parts[-1]
        parent = str(Path(first.shown).parent)
        return f"{parent}/[{first.path.name}..{last.path.name}]"

    @property
    def stems(self) -> list[str]:
        """Names an IDP result may use for this output (for pairing by document id)."""
        single = [self.parts[0].path.stem] if len(self.parts) == 1 else []
        return [n for n in dict.fromkeys([self.doc_id, self.job_id, *single]) if n]
