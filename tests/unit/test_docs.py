"""The README's finding-code table is the registry's (regenerate: scripts/update_readme.py)."""

from __future__ import annotations

from pathlib import Path

from fineprep.stages.check.catalogue import code_table
from fineprep.stages.check.rules import RULES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_code_table_is_current() -> None:
    text = README.read_text("utf-8")
    block = text.split("<!-- codes:start -->\n", 1)[1].split("\n<!-- codes:end -->", 1)[0]
    assert block == code_table(), "README.md is stale: run python scripts/update_readme.py"
    for code in RULES:
        assert f"| {code} |" in block


def test_readme_starts_with_the_two_commands() -> None:
    head = README.read_text("utf-8").split("## ", 1)[0]
    assert "make demo" in head and "make test" in head
