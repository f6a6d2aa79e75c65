"""The HTML report's account of augmented records: per class, original and augmented counts.

Read from the check: each file's augmented records (``FileState.augmented``, per strategy) and
the class counts B001-B004 keep (``stats["balance"]``: ``classes`` and, when some records are
augmented, ``augmented``, both ``{label: {split: n}}``). A class whose augmented share is over
B005's ``max-share`` is marked, as B005 reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fineprep.stages.check.rules.augmented import max_share
from fineprep.stages.check.state import CheckResult


@dataclass(frozen=True)
class ClassRow:
    label: str
    original: int
    augmented: int
    total: int
    share: float
    over: bool


def _total(per_split: Any) -> int:
    if not isinstance(per_split, dict):
        return 0
    return sum(n for n in per_split.values() if type(n) is int and n >= 0)


def augmented_summary(result: CheckResult) -> dict[str, Any] | None:
    """None when no record is augmented."""
    augmented = sum(f.augmented_records for f in result.files)
    if not augmented:
        return None
    limit = max_share(result.settings)
    strategies: dict[str, int] = {}
    for f in result.files:
        for name, n in f.augmented.items():
            strategies[name] = strategies.get(name, 0) + n
    balance = result.stats.get("balance")
    rows: list[ClassRow] = []
    if isinstance(balance, dict) and isinstance(balance.get("classes"), dict):
        found = balance.get("augmented")
        extra: dict[str, Any] = found if isinstance(found, dict) else {}
        for label, per_split in balance["classes"].items():
            total, aug = _total(per_split), _total(extra.get(label))
            share = aug / total if total else 0.0
            rows.append(ClassRow(str(label), total - aug, aug, total, share, share > limit))
    records = result.records
    return {
        "records": records,
        "augmented": augmented,
        "original": records - augmented,
        "share": augmented / records if records else 0.0,
        "over": augmented > limit * records,
        "max_share": limit,
        "strategies": dict(sorted(strategies.items())),
        "classes": rows,
    }
