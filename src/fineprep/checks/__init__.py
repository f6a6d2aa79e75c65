"""Every check, registered explicitly in catalogue order.

Adding a check: write one module here (rules + a Check subclass), import it below, and add its
fixture cases under ``tests/cases/``; the registry test fails until both exist.
"""

from __future__ import annotations

from fineprep.checks import (  # noqa: F401  (imported to register)
    balance,
    content,
    counts,
    duplicates,
    expectations,
    hygiene,
    near_duplicates,
    parse,
    schema,
    structured,
    tokens,
    upload_rules,
)
from fineprep.checks.base import CHECKS, RULES, Check, Rule

__all__ = ["CHECKS", "RULES", "Check", "Rule"]
