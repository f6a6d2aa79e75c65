"""Every check, registered explicitly in catalogue order.

Adding a check: write one module here (rules + a Check subclass), import it below, and add its
fixture cases under ``tests/cases/``; the registry test fails until both exist. Import ``RULES``
and ``ordered_rules`` from here, not from :mod:`fineprep.core.rules`: importing this package is
what fills the registry.
"""

from __future__ import annotations

from fineprep.core.rules import RULES, Rule, ordered_rules
from fineprep.stages.check.rules import (  # noqa: F401  (imported to register)
    augmented,
    balance,
    content,
    counts,
    duplicates,
    grader,
    hygiene,
    near_duplicates,
    outside,
    parse,
    schema,
    structured,
    tokens,
)
from fineprep.stages.check.rules.base import CHECKS, Check

__all__ = ["CHECKS", "RULES", "Check", "Rule", "ordered_rules"]
