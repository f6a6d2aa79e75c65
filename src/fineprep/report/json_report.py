"""The JSON report (schemas/report.schema.json): the contract for CI and other tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.stages.check.state import CheckResult


def report_dict(result: CheckResult) -> dict[str, Any]:
    """The report document (``schemas/report.schema.json``): the result's own ``to_dict()``."""
    return result.to_dict()


def render(result: CheckResult, color: bool = False) -> str:
    return "".join(chunks(result, color))


def chunks(result: CheckResult, color: bool = False) -> Iterator[str]:
    """The document in pieces, byte for byte what one ``orjson.dumps`` of it gives, with the
    findings (the last key) written one by one: memory stays flat in their number."""
    findings = result.findings
    doc = result.header_dict()
    head = jsonexact.dumps({**doc, "findings": []}, option=orjson.OPT_INDENT_2).decode()
    if not findings:
        yield head + "\n"
        return
    assert head.endswith(_EMPTY_TAIL)
    yield head[: -len(_EMPTY_TAIL)] + '"findings": [\n'
    batch: list[str] = []
    first = True
    for f in findings:
        text = jsonexact.dumps(f.to_dict(), option=orjson.OPT_INDENT_2).decode()
        batch.append(("" if first else ",\n") + "    " + text.replace("\n", "\n    "))
        first = False
        if len(batch) >= 1024:
            yield "".join(batch)
            batch = []
    batch.append("\n  ]\n}\n")
    yield "".join(batch)


_EMPTY_TAIL = '"findings": []\n}'
