"""The JSON report (schemas/report.schema.json): the contract for CI and other tools."""

from __future__ import annotations

from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.stages.check.state import CheckResult


def report_dict(result: CheckResult) -> dict[str, Any]:
    """The report document (``schemas/report.schema.json``): the result's own ``to_dict()``."""
    return result.to_dict()


def render(result: CheckResult, color: bool = False) -> str:
    return jsonexact.dumps(report_dict(result), option=orjson.OPT_INDENT_2).decode() + "\n"
