"""SARIF 2.1.0: rules from the registry (with their explanations as help), one result per
finding, the JSON path as a logical location."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import orjson

from fineprep.core import __version__, jsonexact
from fineprep.core.model import Location, Severity
from fineprep.io.outputs import url_scheme
from fineprep.report.escaping import FORMAT_CHARS, visible
from fineprep.stages.check.rules import RULES, Rule, ordered_rules
from fineprep.stages.check.state import CheckResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_UNSAFE_IN_URI = re.compile(f"[\x00-\x20\x7f-\x9f%{FORMAT_CHARS}]")
HELP_URI = "https://github.com/fineprep/fineprep/blob/main/README.md#finding-codes"


def rule_help(rule: Rule) -> str:
    e = rule.explanation
    return (
        f"What it checks: {e.what}\n\nWhy it matters: {e.why}\n\nExample: {e.example}\n\n"
        f"How to fix: {e.fix}"
    )


def _rule(rule: Rule) -> dict[str, Any]:
    e = rule.explanation
    text = rule_help(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": e.what},
        "help": {"text": text, "markdown": text.replace("\n\n", "\n\n")},
        "helpUri": f"{HELP_URI}",
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
    }


def _uri(path: str) -> str:
    """The path as a URI reference (SARIF 2.1.0 3.10.2, RFC 3986): a file path has every
    character but ``/`` and the unreserved ones percent-encoded (``run#1.jsonl`` would name
    file ``run`` with a fragment, ``what?.jsonl`` a query); a location that is already a URL
    keeps its syntax, with control and direction characters encoded (a viewer shows the
    name; it cannot be made to display another one)."""
    if url_scheme(path) is not None:
        return _UNSAFE_IN_URI.sub(lambda m: quote(m.group(), safe=""), path)
    return quote(path, safe="/")


def _inert(value: Any) -> Any:
    """Strings inside a finding's data, made visible (viewers show properties as text)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(str(k)): _inert(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_inert(v) for v in value]
    return value


def _related(index: int, loc: Location) -> dict[str, Any]:
    """Another record the finding is about (the first copy, the training record leaked from),
    with its source row as the message a code-scanning view shows beside it."""
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
    if loc.line is not None:
        physical["region"] = {"startLine": loc.line}
    where = visible(loc.path)
    text = f"related record {where}:{loc.line}" if loc.line else f"related file {where}"
    if loc.source:
        text += f" (source: {visible(loc.source)})"
    out: dict[str, Any] = {"id": index, "physicalLocation": physical, "message": {"text": text}}
    if loc.source:
        out["properties"] = {"source": visible(loc.source)}
    return out


def render(result: CheckResult, color: bool = False) -> str:
    # Only the rules this run refers to: reports stay small and stable as rules are added.
    used = {f.code for f in result.findings}
    codes = [r.code for r in ordered_rules() if r.code in used]
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for f in result.findings:
        item: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": visible(f.message)},
        }
        loc = f.location
        if loc.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
            if loc.line is not None:
                physical["region"] = {"startLine": loc.line}
            location: dict[str, Any] = {"physicalLocation": physical}
            if loc.json_path:
                location["logicalLocations"] = [
                    {"fullyQualifiedName": visible(loc.json_path), "kind": "member"}
                ]
            item["locations"] = [location]
        related = [_related(i, r) for i, r in enumerate(f.related) if r.path]
        if related:
            item["relatedLocations"] = related
        props: dict[str, Any] = {}
        if f.data:
            props["data"] = _inert(f.data)
        if loc.source:
            props["source"] = visible(loc.source)
        if props:
            item["properties"] = props
        results.append(item)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fineprep",
                        "version": __version__,
                        "informationUri": "https://github.com/fineprep/fineprep",
                        "rules": [_rule(RULES.get(code)) for code in codes],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return jsonexact.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
