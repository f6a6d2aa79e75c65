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


def test_readme_cli_reference_is_current() -> None:
    """The README's command-line reference is the commands' own --help."""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "update_readme", root / "scripts/update_readme.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    text = README.read_text("utf-8")
    block = text.split("<!-- cli:start -->\n", 1)[1].split("\n<!-- cli:end -->", 1)[0]
    assert block == script.cli_reference(), "README.md is stale: run scripts/update_readme.py"
