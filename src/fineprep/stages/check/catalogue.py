"""Generated documentation: the finding-code table the README embeds (a test keeps it in sync)."""

from __future__ import annotations


def code_table() -> str:
    from fineprep.stages.check.rules import ordered_rules

    rows = ["| code | name | default | meaning |", "|---|---|---|---|"]
    for r in ordered_rules():
        summary = r.summary.replace("|", "\\|")
        flag = " (opt-in)" if not r.default_enabled else ""
        rows.append(f"| {r.code} | {r.name} | {r.severity.value}{flag} | {summary} |")
    return "\n".join(rows)
