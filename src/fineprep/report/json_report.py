"""The JSON report (schemas/report.schema.json): the contract for CI and other tools."""

from __future__ import annotations

from typing import Any

import orjson

from fineprep.core import __version__
from fineprep.core.model import Severity
from fineprep.stages.check.state import CheckResult


def report_dict(result: CheckResult) -> dict[str, Any]:
    p = result.profile
    return {
        "version": 1,
        "tool": {"name": "fineprep", "version": __version__},
        "valid": result.valid,
        "model": None if p is None else {"key": p.key, "id": p.base_model_id, "name": p.name},
        "summary": {
            "files": len(result.files),
            "records": result.records,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            "by_code": result.by_code(),
            "tokens": token_summary(result),
        },
        "files": [f.summary() for f in result.files],
        "findings": [f.to_dict() for f in result.findings],
    }


def token_summary(result: CheckResult) -> dict[str, Any]:
    stats = result.stats
    out: dict[str, Any] = {
        "encoding": stats.get("encoding"),
        "tokenized_records": stats.get("tokenized_records", 0),
        "exact": bool(result.settings.exact_tokens),
    }
    if "tokens" in stats:
        out["files"] = stats["tokens"]
    if "remote_token_counts" in stats:
        out["remote"] = stats["remote_token_counts"]
    return out


def render(result: CheckResult, color: bool = False) -> str:
    return orjson.dumps(report_dict(result), option=orjson.OPT_INDENT_2).decode() + "\n"
