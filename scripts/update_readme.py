"""Regenerates the finding-code table in README.md from the rule registry.

Run after adding or changing a rule; tests/unit/test_docs.py fails while the README is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import fineprep.stages.check.rules  # noqa: F401  (registers every rule the table lists)
from fineprep.stages.check.catalogue import code_table

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- codes:start -->", "<!-- codes:end -->"


def updated(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{code_table()}\n{END}{tail}"


def main() -> None:
    text = README.read_text("utf-8")
    new = updated(text)
    if "--check" in sys.argv:
        sys.exit(
            0 if new == text else "README.md code table is stale: run scripts/update_readme.py"
        )
    README.write_text(new, "utf-8")


if __name__ == "__main__":
    main()
