"""The labeller's worklist: one row per finding, in the terms of the file a person edits.

A labeller fixes the source spreadsheet or document, not the JSONL, so each row leads with the
source file and its row or page (from the sidecar), then the data file and line, the record's
label, the code, severity and message, how to fix it, and the other records involved (the first
copy of a duplicate, the record a conflict or leak is with) by their own source rows. The same
rows feed ``--output-format worklist-csv`` (this module's :func:`render`) and the HTML report's
"download rows to fix" button, so both give the same file.

Rows are grouped per data file, and findings about the dataset as a whole (counts, balance,
token totals: rules of ``dataset`` scope without a line) form their own ``dataset`` group
instead of being pinned on one of the files.

Text from the data is made inert as in every reporter (control and direction characters shown
as escapes, :mod:`.escaping`). Cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading apostrophe: a record's text
must never become a formula.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fineprep.core.model import Finding, Location
from fineprep.io.jsonl import sidecar_path
from fineprep.report.escaping import visible
from fineprep.report.excerpts import wanted_lines
from fineprep.stages.check.related import sidecar_lines
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult

COLUMNS = (
    "source file", "source row or page", "data file", "record line", "label", "code",
    "severity", "message", "how to fix", "other records involved",
)  # fmt: skip
DATASET = "dataset"
#: ``deeds.csv:row 17``, ``book.xlsx:Sheet1:row 5``, ``doc-42.json:page 3``, ``a.pdf:pages 2-3``.
_SOURCE = re.compile(r"^(?P<file>.*?):(?P<where>(?:row|rows|page|pages|line|lines|record)\b.*)$")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class WorkRow:
    """One finding as a labeller reads it; ``group`` is the data file or ``dataset``."""

    group: str
    source_file: str
    source_row: str
    data_file: str
    line: int | None
    label: str
    code: str
    severity: str
    message: str
    fix: str
    related: str

    def cells(self) -> list[str]:
        line = "" if self.line is None else str(self.line)
        return [
            self.source_file, self.source_row, self.data_file, line, self.label, self.code,
            self.severity, self.message, self.fix, self.related,
        ]  # fmt: skip


def split_source(source: str | None) -> tuple[str, str]:
    """``deeds.csv:row 17`` -> (``deeds.csv``, ``row 17``); a source without a row stays whole."""
    if not source:
        return "", ""
    m = _SOURCE.match(source)
    return (m["file"], m["where"]) if m else (source, "")


def group_of(f: Finding) -> str:
    """The data file a finding belongs to, or ``dataset`` for a finding about the whole set."""
    rule = RULES.find(f.code)
    if not f.location.path or (
        f.location.line is None and rule is not None and rule.scope == "dataset"
    ):
        return DATASET
    return f.location.path


def group_order(result: CheckResult, groups: Iterable[str]) -> list[str]:
    """The dataset group first, then the data files in the order they were checked."""
    present = set(groups)
    order = [DATASET] if DATASET in present else []
    order += [visible(f.path) for f in result.files if visible(f.path) in present]
    order = list(dict.fromkeys(order))
    return order + sorted(present - set(order))


def worklist_rows(result: CheckResult, root: Path | None = None) -> list[WorkRow]:
    """Every finding as a worklist row, grouped (dataset first, then per file) and in order."""
    labels = record_labels(result.findings, root)
    rows = [_row(f, labels) for f in result.findings]
    rank = {g: i for i, g in enumerate(group_order(result, (r.group for r in rows)))}
    return sorted(rows, key=lambda r: rank[r.group])  # stable: each group keeps its order


def _row(f: Finding, labels: dict[tuple[str, int], str]) -> WorkRow:
    loc = f.location
    source_file, source_row = split_source(loc.source)
    rule = RULES.find(f.code)
    label = labels.get((loc.path, loc.line), "") if loc.line is not None else ""
    if not label and isinstance(f.data.get("label"), str):
        label = f.data["label"]  # a class finding (B002, B003) names its class
    group = group_of(f)
    v = visible
    return WorkRow(
        group=v(group),
        source_file=v(source_file),
        source_row=v(source_row),
        # A class finding is about the dataset's classes, not the file it was filed under.
        data_file="" if group == DATASET and f.code.startswith("B") else v(loc.path),
        line=loc.line,
        label=v(label),
        code=v(f.code),
        severity=f.severity.value,
        message=v(f.message),
        fix=rule.explanation.fix if rule else "",
        related=v("; ".join(_related(r, loc.path) for r in f.related)),
    )


def _related(loc: Location, own: str) -> str:
    """``deeds.csv:row 2 (line 1)``; the file is named when it is another one."""
    where = loc.path if loc.line is None else f"line {loc.line}"
    if loc.path != own and loc.line is not None:
        where = f"{loc.path}:{loc.line}"
    return f"{loc.source} ({where})" if loc.source else where


def record_labels(
    findings: Iterable[Finding], root: Path | None = None
) -> dict[tuple[str, int], str]:
    """The sidecar label of every record a finding is on, one pass per sidecar."""
    out: dict[tuple[str, int], str] = {}
    for name, path, lines in wanted_lines(findings, root):
        for line, meta in sidecar_lines(sidecar_path(path), lines).items():
            label = meta.get("label")
            if isinstance(label, list):
                out[(name, line)] = ", ".join(str(one) for one in label)
            elif label is not None:
                out[(name, line)] = str(label)
    return out


def csv_cell(value: str) -> str:
    """One CSV field (RFC 4180), with formula triggers neutralised (see the module doc)."""
    if value.startswith(_FORMULA):
        value = "'" + value
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value


def to_csv(rows: Iterable[WorkRow]) -> str:
    lines = [",".join(csv_cell(c) for c in COLUMNS)]
    lines += [",".join(csv_cell(c) for c in row.cells()) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def render(result: CheckResult, color: bool = False) -> str:
    """The reporter entry point (``--output-format worklist-csv``)."""
    return to_csv(worklist_rows(result))


#: A code repeated on at least this many records, and this share of a file's records, is one
#: cause: text and HTML show a few examples and the count (JSON and CSV keep every finding).
REPEAT_MIN = 50
REPEAT_SHARE = 0.5
EXAMPLES = 3


def repeated_causes(result: CheckResult) -> dict[tuple[str, str], int]:
    """``(file, code) -> findings`` for the codes that repeat over most records of a file."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for f in result.findings:
        if f.location.line is not None:
            counts[(f.location.path, f.code)] += 1
    records = {f.path: f.records for f in result.files}
    return {
        key: n
        for key, n in counts.items()
        if n >= REPEAT_MIN and n >= REPEAT_SHARE * max(records.get(key[0], 0), 1)
    }
