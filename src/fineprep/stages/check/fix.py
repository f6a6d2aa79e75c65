"""``check --fix``: write a repaired copy and a file of rejected records; never touch the input.

Only safe, listed fixes are applied: the BOM (P004), blank lines (P005), outer whitespace and
Windows line endings inside text (L003), and -- when asked -- exact duplicates (D001) whose
JSON equals their first copy's in every field. A whitespace fix writes the record back from
its parsed JSON, so a record that would lose more (a key given twice, a number's spelling) is
kept as it is and counted instead. Any
record with a remaining error goes to ``<name>.rejected.jsonl`` with its findings, so nothing
is silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import Finding, Severity
from fineprep.formats import FORMATS
from fineprep.formats.base import canonical_json
from fineprep.io.atomic import AtomicWriter
from fineprep.io.jsonl import BOM, iter_lines, sidecar_path
from fineprep.stages.check.state import CheckResult

FIXABLE = frozenset({"P004", "P005", "L003"})


@dataclass
class FixSummary:
    path: str
    fixed_path: str
    rejected_path: str
    kept: int = 0
    rejected: int = 0
    dropped_blank: int = 0
    dropped_duplicates: int = 0
    whitespace_fixed: int = 0
    #: Records with L003 left as they are: writing them back would change more than text.
    whitespace_kept: int = 0


def fixed_paths(path: str) -> tuple[Path, Path]:
    p = Path(path)
    stem = p.name[: -len(".jsonl")] if p.name.endswith(".jsonl") else p.name
    return p.with_name(f"{stem}.fixed.jsonl"), p.with_name(f"{stem}.rejected.jsonl")


def _set_path(obj: Any, path: tuple[str | int, ...], value: str) -> None:
    target = obj
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def write_fixes(result: CheckResult, path: str, drop_duplicates: bool = False) -> FixSummary:
    """Write ``<name>.fixed.jsonl`` (+ sidecar) and ``<name>.rejected.jsonl`` beside ``path``."""
    file = next(f for f in result.files if f.path == path)
    by_line: dict[int, list[Finding]] = {}
    for f in result.findings:
        if f.location.path == path and f.location.line is not None:
            by_line.setdefault(f.location.line, []).append(f)
    fixed, rejected = fixed_paths(path)
    summary = FixSummary(path, str(fixed), str(rejected))
    if file.unparsed:  # its lines are not records: nothing in it can be kept or rejected
        return summary
    meta_in = sidecar_path(path)
    metas = iter_lines(meta_in.open("rb")) if file.has_sidecar else None
    analyze = FORMATS.get(file.format).analyze if file.format else None
    # A duplicate is dropped only when its JSON equals its first copy's in every field; the
    # first copies' canonical JSON is kept as they stream past.
    firsts = {
        f.data["first_line"]: b""
        for f in result.findings
        if drop_duplicates and f.code == "D001" and f.location.path == path
    }
    with (
        Path(path).open("rb") as src,
        AtomicWriter(fixed, skip_empty=True) as out,
        AtomicWriter(rejected, skip_empty=True) as rej,
        AtomicWriter(sidecar_path(fixed), skip_empty=True) as meta_out,
    ):
        for line_no, raw in iter_lines(src):
            meta = next(metas, (0, b""))[1] if metas is not None else b""
            if line_no == 1 and raw.startswith(BOM):
                raw = raw[3:]
            if not raw or raw.isspace():
                summary.dropped_blank += 1
                continue
            findings = by_line.get(line_no, [])
            codes = {f.code for f in findings}
            if any(f.severity is Severity.ERROR and f.code not in FIXABLE for f in findings):
                summary.rejected += 1
                rej.write(_rejected_line(line_no, raw, findings, meta))
                continue
            if line_no in firsts:
                firsts[line_no] = _canonical(raw)
            if drop_duplicates and "D001" in codes and _is_copy(raw, findings, firsts):
                summary.dropped_duplicates += 1
                continue
            if "L003" in codes and analyze is not None and not faithful(raw):
                summary.whitespace_kept += 1  # written back, more than whitespace would change
            elif "L003" in codes and analyze is not None:
                obj = jsonexact.loads(raw)
                view = analyze(obj, result.profile, lambda *a: None)
                for seg in view.segments:
                    cleaned = _clean(seg.text)
                    if cleaned != seg.text:
                        _set_path(obj, seg.path, cleaned)
                raw = jsonexact.dumps(obj)
                summary.whitespace_fixed += 1
            out.write(raw + b"\n")
            if metas is not None:
                meta_out.write(meta + b"\n")
            summary.kept += 1
    if metas is None:
        sidecar_path(fixed).unlink(missing_ok=True)
    return summary


def faithful(raw: bytes) -> bool:
    """Whether a record parsed and written back changes only what a fix changes: no key is
    given twice (the writer would keep one of them) and every number is written as spelt
    (``1E2`` would become ``100.0``, ``1.10`` ``1.1``: an RFT grader may compare the text)."""
    ok = True

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal ok
        if len({key for key, _ in items}) != len(items):
            ok = False
        return dict(items)

    def number(text: str) -> int:
        nonlocal ok
        if jsonexact.dumps(jsonexact.loads(text.encode())) != text.encode():
            ok = False
        return 0

    try:
        json.loads(raw, object_pairs_hook=pairs, parse_float=number, parse_int=number)
    except ValueError:
        return False
    return ok


def _canonical(raw: bytes) -> bytes:
    try:
        return canonical_json(jsonexact.loads(raw))
    except orjson.JSONDecodeError:
        return raw


def _is_copy(raw: bytes, findings: list[Finding], firsts: dict[int, bytes]) -> bool:
    """Whether this D001 record is, field for field, the record its finding names."""
    first = next(f.data["first_line"] for f in findings if f.code == "D001")
    return bool(firsts.get(first)) and _canonical(raw) == firsts[first]


def _rejected_line(line_no: int, raw: bytes, findings: list[Finding], meta: bytes) -> bytes:
    try:
        record: Any = jsonexact.loads(raw)
    except orjson.JSONDecodeError:
        record = raw.decode("utf-8", "backslashreplace")
    item: dict[str, Any] = {
        "line": line_no,
        "record": record,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "json_path": f.location.json_path,
            }
            for f in findings
        ],
    }
    if meta:
        try:
            item["meta"] = jsonexact.loads(meta)
        except orjson.JSONDecodeError:
            pass
    return jsonexact.dumps(item) + b"\n"
