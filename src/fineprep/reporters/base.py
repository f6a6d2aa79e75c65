"""The reporter registry and the entry point that picks one by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from fineprep.context import CheckResult
from fineprep.registry import Registry


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
        "fineprep.reporters.text",
        "path:line: CODE [severity] message, then a summary",
        False,
    ),
)
REPORTERS.add(
    "json",
    Reporter(
        "json",
        "fineprep.reporters.json_report",
        "the report document of schemas/report.schema.json",
        True,
    ),
)
REPORTERS.add(
    "sarif",
    Reporter("sarif", "fineprep.reporters.sarif", "SARIF 2.1.0 for code-scanning tools", True),
)
REPORTERS.add(
    "github",
    Reporter(
        "github",
        "fineprep.reporters.github",
        "GitHub Actions workflow commands (annotations)",
        True,
    ),
)

REPORTERS.add(
    "html",
    Reporter("html", "fineprep.reporters.html", "one self-contained HTML page with charts", True),
)


def render(result: CheckResult, fmt: str, *, color: bool = False) -> str:
    return REPORTERS.get(fmt).load()(result, color)
