"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network).

Everything shown is data from the run -- file names, messages, record text, class labels --
so the page is rendered by Jinja2 with autoescaping and never marks data as safe; the charts
are built by :mod:`fineprep.report.svg`, which escapes the same way. A Content-Security-
Policy that forbids scripts and remote loads backs this up in the browser.

Large runs stay readable: each code's table shows the first ``max-rows`` findings (config
``[report] max-rows``, default 200) and says how many more there are, per file; the JSON
report keeps every finding.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
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
from fineprep.report.excerpts import Excerpt, collect, excerpt
from fineprep.report.html_augmented import augmented_summary
from fineprep.report.html_charts import build_charts, tokens_summary
from fineprep.report.html_sections import sections_from
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult

MAX_ROWS = 200


@dataclass(frozen=True)
class Row:
    where: str
    json_path: str | None
    source: str | None
    message: str
    excerpt: Excerpt | None


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    severity: str
    summary: str
    why: str
    fix: str
    count: int
    rows: list[Row]
    more: int
    more_by_file: list[tuple[str, int]]


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
        "groups": _groups(result.findings, rows_cap, show_excerpts, root),
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
    )
    env.filters["num"] = svg.num
    return env


def _options(table: Any) -> dict[str, Any]:
    """``[report]`` in config: ``title``, ``max-rows`` (>= 1), ``excerpts`` (true/false)."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ConfigError("[report] must be a table")
    kinds = {"title": str, "max-rows": int, "excerpts": bool}
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


def _groups(
    findings: Iterable[Finding], cap: int, show_excerpts: bool, root: Path | None
) -> list[Group]:
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_code[f.code].append(f)
    shown = [f for group in by_code.values() for f in group[:cap]]
    lines = collect(shown, root) if show_excerpts else {}
    out = []
    for code in sorted(by_code, key=code_key):
        group = by_code[code]
        rule = RULES.find(code)
        rest = Counter(f.location.path or "(dataset)" for f in group[cap:])
        out.append(
            Group(
                code=code,
                name=rule.name if rule else group[0].name,
                severity=group[0].severity.value,
                summary=rule.summary if rule else "",
                why=rule.explanation.why if rule else "",
                fix=rule.explanation.fix if rule else "",
                count=len(group),
                rows=[_row(f, lines) for f in group[:cap]],
                more=len(group) - min(cap, len(group)),
                more_by_file=rest.most_common(10),
            )
        )
    return out


def _row(f: Finding, lines: Mapping[tuple[str, int], bytes]) -> Row:
    loc = f.location
    where = loc.path or "(dataset)"
    if loc.path and loc.line is not None:
        where = f"{loc.path}:{loc.line}"
    raw = lines.get((loc.path, loc.line)) if loc.line is not None else None
    return Row(
        where=where,
        json_path=loc.json_path,
        source=loc.source,
        message=f.message,
        excerpt=excerpt(raw, loc.json_path, f.data) if raw is not None else None,
    )
