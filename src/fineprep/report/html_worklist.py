"""The findings of the HTML report as a worklist: per-file groups, the page's data and script.

Findings are grouped per data file, with the dataset's own findings (counts, balance, token
totals) in a ``dataset`` group first. Each group's table shows the first ``max-rows`` findings
of each code; a code that repeats over most of a file's records (one cause, such as L002 on
one-word labels) shows a few examples and its count instead. Every row is the record as a
conversation (:mod:`.conversation`), or the start of the line when it does not parse.

The page also carries the worklist rows (:func:`fineprep.report.worklist.worklist_rows`, the
same rows ``--output-format worklist-csv`` writes) as JSON data, up to ``worklist-rows`` of
them, and one small inline script (``templates/worklist.js``, allowed by its hash in the
Content-Security-Policy) that searches, filters, sorts and downloads them as CSV. Without the
script the report still reads top to bottom; the tools stay hidden.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
from markupsafe import Markup

from fineprep.core.model import Finding
from fineprep.core.rules import code_key
from fineprep.report.conversation import Part, conversation
from fineprep.report.escaping import visible
from fineprep.report.excerpts import Excerpt, collect, excerpt
from fineprep.report.worklist import (
    DATASET,
    EXAMPLES,
    WorkRow,
    group_of,
    group_order,
    repeated_causes,
    worklist_rows,
)
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult

WORKLIST_ROWS = 10_000
_SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Row:
    index: int
    line: int | None
    where: str
    json_path: str | None
    source: str | None
    related: str
    label: str
    code: str
    severity: str
    message: str
    parts: list[Part] | None
    excerpt: Excerpt | None


@dataclass(frozen=True)
class Repeat:
    code: str
    severity: str
    count: int
    records: int
    message: str


@dataclass
class FileGroup:
    name: str
    anchor: str
    dataset: bool
    count: int = 0
    rows: list[Row] = field(default_factory=list)
    repeats: list[Repeat] = field(default_factory=list)
    #: Findings of a code not shown as rows (over ``max-rows``, or past a repeat's examples).
    more: list[tuple[str, int]] = field(default_factory=list)


@functools.cache
def script() -> tuple[Markup, str]:
    """The inline script and its CSP source (``'sha256-…'``)."""
    text = files("fineprep.report").joinpath("templates/worklist.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return Markup(text), f"'sha256-{digest}'"


def worklist(
    result: CheckResult, cap: int, show_excerpts: bool, root: Path | None, data_rows: int
) -> dict[str, Any]:
    """The template's ``worklist``: groups of shown rows, the filter choices and the data."""
    rows = worklist_rows(result, root)
    by_finding = _pair(result.findings, rows)
    repeated = repeated_causes(result)
    records = {f.path: f.records for f in result.files}
    shown: list[tuple[int, Finding, WorkRow]] = []
    groups: dict[str, FileGroup] = {}
    per_code: dict[tuple[str, str], int] = defaultdict(int)
    hidden: dict[str, Counter[str]] = defaultdict(Counter)
    for i, (f, w) in enumerate(by_finding):
        g = groups.get(w.group)
        if g is None:
            g = groups[w.group] = FileGroup(w.group, f"group-{len(groups)}", w.group == DATASET)
        g.count += 1
        key = (w.group, f.code)
        per_code[key] += 1
        limit = EXAMPLES if (f.location.path, f.code) in repeated else cap
        if per_code[key] > limit:
            hidden[w.group][f.code] += 1
            continue
        shown.append((i, f, w))
    for (path, code), n in repeated.items():
        group = groups.get(visible(path))
        first = next(f for f, _ in by_finding if f.location.path == path and f.code == code)
        if group is not None:
            group.repeats.append(
                Repeat(code, first.severity.value, n, records.get(path, 0), first.message)
            )
    lines = collect([f for _, f, _ in shown], root) if show_excerpts else {}
    for i, f, w in shown:
        groups[w.group].rows.append(_row(i, f, w, lines))
    for name, counter in hidden.items():
        groups[name].more = sorted(counter.items(), key=lambda kv: code_key(kv[0]))
    ordered = [groups[g] for g in group_order(result, groups)]
    return {
        "groups": ordered,
        "codes": [(c, _name(c)) for c in _codes(rows)],
        "severities": [s for s in _SEVERITIES if any(r.severity == s for r in rows)],
        "files": [(g.name, "the dataset" if g.dataset else g.name) for g in ordered],
        "labels": sorted({r.label for r in rows if r.label})[:500],
        "data": _data(rows[:data_rows], [g.name for g in ordered]),
        "in_data": min(len(rows), data_rows),
        "total": len(rows),
        "shown": len(shown),
    }


def _pair(findings: Iterable[Finding], rows: list[WorkRow]) -> list[tuple[Finding, WorkRow]]:
    """Findings in worklist order (rows are the findings regrouped, each group in order)."""
    queues: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        queues[visible(group_of(f))].append(f)
    taken: dict[str, int] = defaultdict(int)
    out = []
    for w in rows:
        out.append((queues[w.group][taken[w.group]], w))
        taken[w.group] += 1
    return out


def _name(code: str) -> str:
    rule = RULES.find(code)
    return rule.name if rule else ""


def _codes(rows: list[WorkRow]) -> list[str]:
    return sorted({r.code for r in rows}, key=code_key)


def _row(i: int, f: Finding, w: WorkRow, lines: dict[tuple[str, int], bytes]) -> Row:
    loc = f.location
    where = loc.path if loc.line is None else f"{loc.path}:{loc.line}"
    raw = lines.get((loc.path, loc.line)) if loc.line is not None else None
    parts = conversation(raw, loc.json_path, f.data) if raw is not None else None
    return Row(
        index=i,
        line=loc.line,
        where=where,
        json_path=loc.json_path,
        source=loc.source,
        related=w.related,
        label=w.label,
        code=f.code,
        severity=f.severity.value,
        message=f.message,
        parts=parts,
        excerpt=excerpt(raw, loc.json_path, f.data) if raw is not None and not parts else None,
    )


def _cells(row: WorkRow) -> list[str]:
    """A row's CSV cells without the fix (the script takes it from the code)."""
    cells = row.cells()
    del cells[8]
    return cells


def _data(rows: list[WorkRow], groups: list[str]) -> Markup:
    """The rows as JSON the script reads: CSV columns, with each code's fix given once."""
    index = {g: i for i, g in enumerate(groups)}
    fixes = {r.code: r.fix for r in rows}
    strings: dict[str, int] = {}  # each distinct cell once: messages and paths repeat a lot
    packed = [
        [index[r.group], *(strings.setdefault(c, len(strings)) for c in _cells(r))] for r in rows
    ]
    doc = {
        # Cells come from the data: the script shows them as text, so control and
        # direction characters (a right-to-left override in a file name) arrive escaped.
        "groups": [visible(g) for g in groups],
        "fixes": fixes,
        "severity": {s: i for i, s in enumerate(_SEVERITIES)},
        "strings": [visible(s, multiline=True) for s in strings],
        "rows": packed,
    }
    text = orjson.dumps(doc).decode()
    # Inside <script type="application/json"> nothing may close the element or open a comment.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
