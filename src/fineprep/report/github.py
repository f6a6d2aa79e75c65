"""GitHub Actions workflow commands: findings appear as annotations on the pull request."""

from __future__ import annotations

from fineprep.core.model import Finding, Severity
from fineprep.report.escaping import visible
from fineprep.stages.check.state import CheckResult

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    """GitHub's own escaping of a command's message, after control and direction
    characters from the data are made visible (so no CR/LF is left to escape)."""
    return visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_finding(f: Finding) -> str:
    props = []
    if f.location.path:
        props.append(f"file={_escape_property(f.location.path)}")
    if f.location.line is not None:
        props.append(f"line={f.location.line}")
    props.append(f"title={_escape_property(f'{f.code} {f.name}')}")
    message = f.message
    if f.location.json_path:
        message += f" ({f.location.json_path})"
    if f.location.source:
        message += f" [source: {f.location.source}]"
    return f"::{_LEVEL[f.severity]} {','.join(props)}::{_escape_data(message)}"


def render(result: CheckResult, color: bool = False) -> str:
    return "".join(format_finding(f) + "\n" for f in result.findings)
