"""The reporter registry and the entry point that picks one by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module

from fineprep.core.registry import Registry
from fineprep.stages.check.state import CheckResult


@dataclass(frozen=True)
class Reporter:
    name: str
    module: str
    description: str
    machine: bool

    def load(self) -> Callable[[CheckResult, bool], str]:
        """Import the reporter module on demand (html pulls in templates; text needs none)."""
        fn: Callable[[CheckResult, bool], str] = import_module(self.module).render
        return fn


REPORTERS: Registry[Reporter] = Registry("output format")
REPORTERS.add(
    "text",
    Reporter(
        "text",
        "fineprep.report.text",
        "path:line: CODE [severity] message, then a summary",
        False,
    ),
)
REPORTERS.add(
    "json",
    Reporter(
        "json",
        "fineprep.report.json_report",
        "the report document of schemas/report.schema.json",
        True,
    ),
)
REPORTERS.add(
    "sarif",
    Reporter("sarif", "fineprep.report.sarif", "SARIF 2.1.0 for code-scanning tools", True),
)
REPORTERS.add(
    "github",
    Reporter(
        "github",
        "fineprep.report.github",
        "GitHub Actions workflow commands (annotations)",
        True,
    ),
)
REPORTERS.add(
    "worklist-csv",
    Reporter(
        "worklist-csv",
        "fineprep.report.worklist",
        "the rows to fix as CSV: source file and row, record line, code, message, how to fix",
        True,
    ),
)
REPORTERS.add(
    "html",
    Reporter("html", "fineprep.report.html", "one self-contained HTML page with charts", True),
)


def render(result: CheckResult, fmt: str, *, color: bool = False) -> str:
    return REPORTERS.get(fmt).load()(result, color)


def render_chunks(result: CheckResult, fmt: str, *, color: bool = False) -> Iterator[str]:
    """The report in pieces: reporters with a ``chunks`` function stream (text, json), the
    others give their whole text as one piece."""
    reporter = REPORTERS.get(fmt)
    module = import_module(reporter.module)
    pieces: Callable[[CheckResult, bool], Iterator[str]] | None = getattr(module, "chunks", None)
    if pieces is None:
        yield reporter.load()(result, color)
        return
    yield from pieces(result, color)
