"""Human-readable findings: ``path:line: CODE [severity] message  ($.json.path)``."""

from __future__ import annotations

from collections.abc import Iterator

from fineprep.core.model import Finding, Severity
from fineprep.report.escaping import line_start, visible
from fineprep.stages.check.state import CheckResult

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def format_finding(f: Finding, color: bool = False) -> str:
    """One line; everything from the data (file name, message, JSON path, source) is made
    inert first (control and direction characters escaped), so the line is one line and
    cannot start a workflow command or send terminal sequences."""
    loc = f.location
    where = line_start(visible(loc.path)) if loc.path else ""
    if where and loc.line is not None:
        where = f"{where}:{loc.line}"
    prefix = f"{where}: " if where else ""
    sev = f"[{f.severity.value}]"
    code = f.code
    if color:
        code = f"{_BOLD}{code}{_RESET}"
        sev = f"{_COLORS[f.severity]}{sev}{_RESET}"
    line = f"{prefix}{code} {sev} {visible(f.message)}"
    if loc.json_path:
        line += f"  ({visible(loc.json_path)})"
    if loc.source:
        line += f"  [source: {visible(loc.source)}]"
    also = [f"{visible(r.path)}:{r.line} = {visible(r.source)}" for r in f.related if r.source]
    if also:
        line += f"  [also: {'; '.join(also)}]"
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
    findings streams them from its log). A cause repeated over most of a file shows its first
    examples and one line for the rest."""
    from fineprep.report.worklist import EXAMPLES, repeated_causes

    repeated = repeated_causes(result)
    records = {f.path: f.records for f in result.files}
    seen: dict[tuple[str, str], int] = {}
    batch: list[str] = []
    for f in result.findings:
        key = (f.location.path, f.code)
        if key in repeated and f.location.line is not None:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > EXAMPLES:
                continue
            batch.append(format_finding(f, color) + "\n")
            if seen[key] == EXAMPLES:
                batch.append(_repeat_line(f, repeated[key], records.get(key[0], 0)) + "\n")
        else:
            batch.append(format_finding(f, color) + "\n")
        if len(batch) >= 4096:
            yield "".join(batch)
            batch = []
    batch.append(summary_line(result) + "\n")
    yield "".join(batch)


def _repeat_line(f: Finding, count: int, records: int) -> str:
    """One line for the rest of a cause that repeats over most of a file's records."""
    from fineprep.report.worklist import EXAMPLES

    # a record may hold several (one per turn): a share of records only when it can be one
    share = (
        f" ({count / records:.0%} of {records:,} records)"
        if records and count <= records
        else f" (in a file of {records:,} records)"
        if records
        else ""
    )
    return (
        f"{line_start(visible(f.location.path))}: {f.code} [{f.severity.value}] and "
        f"{count - EXAMPLES:,} more like "
        f"these: {count:,} findings{share}, one cause repeated over the file "
        "(--output-format json or worklist-csv lists every one)"
    )
