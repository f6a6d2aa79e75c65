"""The HTML report: one self-contained file (inline CSS, SVG and one small script, no network).

Everything shown is data from the run -- file names, messages, record text, class labels --
so the page is rendered by Jinja2 with autoescaping and never marks data as safe; the charts
are built by :mod:`fineprep.report.svg`, which escapes the same way. A Content-Security-
Policy that forbids remote loads and every script but the report's own (by its hash) backs
this up in the browser.

Findings form a labeller's worklist (:mod:`fineprep.report.html_worklist`): grouped per file,
with search, filters, sorting and a CSV download of the rows to fix. Large runs stay readable:
each file shows the first ``max-rows`` findings of a code (config ``[report] max-rows``,
default 200) and says how many more there are; the JSON report keeps every finding.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from fineprep.core import __version__
from fineprep.core.errors import ConfigError
from fineprep.core.model import Finding, Severity
from fineprep.core.rules import code_key
from fineprep.report import svg
from fineprep.report.escaping import inert
from fineprep.report.html_augmented import augmented_summary
from fineprep.report.html_charts import build_charts, tokens_summary
from fineprep.report.html_sections import sections_from
from fineprep.report.html_worklist import WORKLIST_ROWS, script, worklist
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult

MAX_ROWS = 200


@dataclass(frozen=True)
class Group:
    """One code found in the run, with the rule's explanation (the codes section)."""

    code: str
    name: str
    severity: str
    summary: str
    why: str
    fix: str
    count: int


def render(result: CheckResult, color: bool = False) -> str:
    """The reporter entry point (``--output-format html``)."""
    return render_html(result)


def render_html(
    result: CheckResult,
    *,
    title: str | None = None,
    sections: Mapping[str, Any] | None = None,
    max_rows: int | None = None,
    excerpts: bool | None = None,
    root: Path | None = None,
    generated: str | None = None,
) -> str:
    """The report as one HTML document.

    ``sections`` adds titled sections after the summary (``fineprep run`` passes split counts,
    upload and job details): a string is a paragraph, a mapping of scalars a two-column table,
    a mapping of mappings or a list of mappings a table. ``root`` resolves relative file paths
    when reading excerpts; ``generated`` is shown as the report's time (none by default, so the
    output is reproducible).
    """
    opts = _options(result.settings.sections.get("report"))
    rows_cap = max_rows if max_rows is not None else opts.get("max-rows", MAX_ROWS)
    show_excerpts = excerpts if excerpts is not None else opts.get("excerpts", True)
    p = result.profile
    context = {
        "title": title or opts.get("title") or "fineprep data report",
        "version": __version__,
        "generated": generated,
        "verdict": _verdict(result),
        "model": None if p is None else {"id": p.base_model_id, "name": p.name},
        "counts": {
            "files": len(result.files),
            "records": result.records,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
        },
        "files": [
            {**f.summary(), "tokens": f.tokens, "augmented": f.augmented_records}
            for f in result.files
        ],
        "augmented": augmented_summary(result),
        "tokens": tokens_summary(result),
        "sections": sections_from(sections or {}),
        "charts": build_charts(result),
        "groups": _groups(result.findings),
        "worklist": worklist(
            result, rows_cap, show_excerpts, root, opts.get("worklist-rows", WORKLIST_ROWS)
        ),
        "script": script()[0],
        "script_hash": script()[1],
    }
    return _environment().get_template("report.html.j2").render(**context)


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("fineprep.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=inert,  # every {{ value }}: control and direction characters escaped
    )
    env.filters["num"] = svg.num
    return env


def _options(table: Any) -> dict[str, Any]:
    """``[report]`` in config: ``title``, ``max-rows`` (>= 1), ``excerpts`` (true/false),
    ``worklist-rows`` (>= 1: rows the page holds for search and the CSV download)."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ConfigError("[report] must be a table")
    kinds = {"title": str, "max-rows": int, "excerpts": bool, "worklist-rows": int}
    for key, value in table.items():
        kind = kinds.get(key)
        if kind is None:
            continue  # other report formats may read their own keys
        if type(value) is not kind or (type(value) is int and value < 1):
            need = "a whole number >= 1" if kind is int else f"a {kind.__name__}"
            raise ConfigError(f"[report] {key} must be {need}, got {value!r}")
    return dict(table)


def _verdict(result: CheckResult) -> dict[str, Any]:
    errors = result.count(Severity.ERROR)
    warnings = result.count(Severity.WARNING)
    if errors:
        detail = (
            f"{errors:,} error{'s' if errors != 1 else ''}: Bedrock would reject this data or "
            "training would suffer. Fix them before uploading."
        )
    elif result.exit_code:
        detail = f"findings at or above the fail-on policy ({result.settings.fail_on.value})."
    else:
        detail = "no errors" + (
            f"; {warnings:,} warning{'s' if warnings != 1 else ''} to review." if warnings else "."
        )
    ok = result.exit_code == 0
    return {"ok": ok, "word": "Passed" if ok else "Failed", "detail": detail}


def _groups(findings: Iterable[Finding]) -> list[Group]:
    by_code: Counter[str] = Counter(f.code for f in findings)
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.code, f)
    out = []
    for code in sorted(by_code, key=code_key):
        rule = RULES.find(code)
        out.append(
            Group(
                code=code,
                name=rule.name if rule else first[code].name,
                severity=first[code].severity.value,
                summary=rule.summary if rule else "",
                why=rule.explanation.why if rule else "",
                fix=rule.explanation.fix if rule else "",
                count=by_code[code],
            )
        )
    return out
