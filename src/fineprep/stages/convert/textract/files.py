"""Finding, reading and grouping Textract output files, and refusing unusable ones.

An asynchronous Textract job returns its result in parts (``NextToken`` chains); saved to disk
they are several files: ``GetDocumentAnalysis`` pages saved as JSON, or the numbered objects
``1``, ``2``... that Textract writes under ``<prefix>/<JobId>/`` with ``OutputConfig``. Parts
are grouped into one document by ``JobId`` when the files carry it, by their folder when they
are numbered objects, and otherwise each file is one document.

Every file is checked before anything is converted, so a FAILED or truncated job stops the run
with one clear message instead of producing part of a dataset.
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
from fineprep.stages.convert.textract.sniff import sniff_textract

_BOM = b"\xef\xbb\xbf"
#: Folders of numbered parts that Analyze Lending writes under its job folder.
_LENDING_PARTS = frozenset({"detailedResponse", "summaryResponse"})
_FETCH_ALL = (
    "fetch every part of the job's output (call Get... again with NextToken until none is "
    "returned) and convert all the part files together"
)


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


def camel_keys(value: Any) -> Any:
    """A JSON value with snake_case keys (SDK dictionaries, protobuf field names) written in the
    services' REST camelCase (``page_number`` -> ``pageNumber``), values unchanged."""
    if isinstance(value, dict):
        return {
            _SNAKE.sub(lambda m: m.group(1).upper(), str(k)): camel_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
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


def check_status(obj: dict[str, Any], shown: str, allow_partial: bool) -> bool:
    """Refuse unfinished or failed jobs; return whether the job is a PARTIAL_SUCCESS."""
    status = obj.get("JobStatus")
    if status is None or status == "SUCCEEDED":
        return False
    message = as_str(obj.get("StatusMessage"))
    said = f" ({message!r})" if message else ""
    if status == "FAILED":
        raise InputError(
            f"{shown}: job status FAILED{said}; re-run the Textract job and convert its output"
        )
    if status == "IN_PROGRESS":
        raise InputError(
            f"{shown}: job status IN_PROGRESS; the job has not finished",
            hint="wait until the job reports SUCCEEDED, then fetch and convert its output",
        )
    if status == "PARTIAL_SUCCESS":
        if allow_partial:
            return True
        problems = [
            f"{as_str(w.get('ErrorCode')) or 'warning'} on pages {as_list(w.get('Pages'))}"
            for w in map(as_dict, as_list(obj.get("Warnings")))
        ]
        detail = f" ({'; '.join(problems)})" if problems else said
        raise InputError(
            f"{shown}: job status PARTIAL_SUCCESS{detail}; some pages were not processed",
            hint="re-run the Textract job, or set allow_partial = true to convert the pages "
            "it did process",
        )
    raise InputError(
        f"{shown}: unknown job status {status!r}", hint="convert the output of SUCCEEDED jobs"
    )


def _read_header(path: Path, shown: str, allow_partial: bool) -> tuple[str, bool, bool]:
    obj = load_json(path, shown)
    if not sniff_textract(obj):
        raise InputError(
            f"{shown}: not an Amazon Textract response "
            "(no Blocks, ExpenseDocuments, IdentityDocuments or lending Results)",
            hint="pass the JSON returned by Textract, unchanged",
        )
    partial = check_status(obj, shown, allow_partial)
    token = obj.get("NextToken")
    return as_str(obj.get("JobId")), isinstance(token, str) and token != "", partial


def scan(paths: list[str], allow_partial: bool = False) -> list[Group]:
    """Read every file once to validate it and group the parts of each job, in input order;
    the first unusable file raises (for callers that need every output, like IDP pairing)."""
    groups, failures = scan_all(paths, allow_partial)
    if failures:
        raise failures[0][1]
    return groups


def scan_all(
    paths: list[str], allow_partial: bool = False
) -> tuple[list[Group], list[tuple[list[str], InputError]]]:
    """The usable outputs and, separately, each unusable file or job (its part files and why),
    so that one bad response among forty does not hide the other thirty-nine."""
    groups: dict[str, Group] = {}
    failures: list[tuple[list[str], InputError]] = []
    for path, shown in expand_paths(paths):
        try:
            job_id, token, partial = _read_header(path, shown, allow_partial)
        except InputError as exc:
            failures.append(([shown], exc))
            continue
        if job_id:
            key, doc_id = f"job:{job_id}", job_id
        elif path.name.isdigit():
            folder = path.resolve().parent
            # Analyze Lending writes <job>/detailedResponse/1, 2...: the job names the output.
            named = folder.parent if folder.name in _LENDING_PARTS else folder
            key, doc_id = f"dir:{folder}", named.name
        else:
            key, doc_id = f"file:{path.resolve()}", path.stem
        group = groups.setdefault(key, Group(doc_id=doc_id, job_id=job_id))
        group.parts.append(Part(path, shown, token))
        group.partial = group.partial or partial
    usable = []
    for group in groups.values():
        group.parts.sort(key=lambda p: natural_key(p.shown))
        try:
            _check_chain(group)
        except InputError as exc:
            failures.append(([p.shown for p in group.parts], exc))
            continue
        usable.append(group)
    return usable, failures


def _check_chain(group: Group) -> None:
    """Every part but the last continues (``NextToken``); the last does not."""
    *rest, last = group.parts
    if last.next_token:
        raise InputError(
            f"{last.shown}: NextToken present but the next part is missing; "
            "the job's output is truncated",
            hint=_FETCH_ALL,
        )
    for part, after in zip(rest, group.parts[1:], strict=True):
        if not part.next_token:
            raise InputError(
                f"{part.shown}: has no NextToken, so it ends the job's output, but "
                f"{after.shown} belongs to the same job; parts from different runs?",
                hint="convert exactly one complete output per job",
            )
