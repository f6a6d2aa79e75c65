"""Human-readable findings: ``path:line: CODE [severity] message  ($.json.path)``."""

from __future__ import annotations

from collections.abc import Iterator

from fineprep.core.model import Finding, Severity
from fineprep.stages.check.state import CheckResult

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def format_finding(f: Finding, color: bool = False) -> str:
    loc = f.location
    where = loc.path
    if where and loc.line is not None:
        where = f"{where}:{loc.line}"
    prefix = f"{where}: " if where else ""
    sev = f"[{f.severity.value}]"
    code = f.code
    if color:
        code = f"{_BOLD}{code}{_RESET}"
        sev = f"{_COLORS[f.severity]}{sev}{_RESET}"
    line = f"{prefix}{code} {sev} {f.message}"
    if loc.json_path:
        line += f"  ({loc.json_path})"
    if loc.source:
        line += f"  [source: {loc.source}]"
    return line


def summary_line(result: CheckResult) -> str:
    files = len(result.files)
    records = result.records
    scope = (
        f"{files} file{'s' if files != 1 else ''}, {records:,} record{'s' if records != 1 else ''}"
    )
    augmented = sum(f.augmented_records for f in result.files)
    if augmented:
        scope += f", {augmented:,} augmented"
    errors = result.count(Severity.ERROR)
    warnings = result.count(Severity.WARNING)
    infos = result.count(Severity.INFO)
    tokenized = result.stats.get("tokenized_records", 0)
    tokens = f"; {tokenized:,} record{'s' if tokenized != 1 else ''} tokenized" if tokenized else ""
    remote = result.stats.get("remote_token_counts", {}).get("records", 0)
    if remote:
        tokens += f", {remote:,} counted by Bedrock (CountTokens)"
    if not result.findings:
        return f"All checks passed ({scope}{tokens})."
    return (
        f"Found {errors} error{'s' if errors != 1 else ''}, {warnings} warning"
        f"{'s' if warnings != 1 else ''}, {infos} info{'s' if infos != 1 else ''} "
        f"({scope}{tokens})."
    )


def render(result: CheckResult, color: bool = False) -> str:
    return "".join(chunks(result, color))


def chunks(result: CheckResult, color: bool = False) -> Iterator[str]:
    """The report in pieces, for writing without holding it whole (a run with millions of
    findings streams them from its log)."""
    batch: list[str] = []
    for f in result.findings:
        batch.append(format_finding(f, color) + "\n")
        if len(batch) >= 4096:
            yield "".join(batch)
            batch = []
    batch.append(summary_line(result) + "\n")
    yield "".join(batch)
