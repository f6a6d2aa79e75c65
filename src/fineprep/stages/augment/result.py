"""What ``fineprep augment`` reports: per class and for the dataset, original and augmented
counts and their share (marked over B005's ``max-share``), what was made by which strategy,
what fell short of the goal, and why candidates were refused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineprep.core.config import Settings
from fineprep.core.results import Result
from fineprep.core.wording import count
from fineprep.stages.augment.options import AugmentOptions
from fineprep.stages.augment.plan import Goal
from fineprep.stages.augment.produce import ALL, Producer, elements
from fineprep.stages.augment.records import Inventory
from fineprep.stages.check.rules.augmented import max_share

if TYPE_CHECKING:
    from fineprep.stages.check.state import CheckResult


@dataclass
class AugmentResult(Result):
    """What augment wrote, per class and strategy, what it could not make, and the check."""

    input: Path
    output: Path
    sidecar: Path
    format: str | None
    records: int
    original: int
    made: int
    strategies: dict[str, int]
    classes: dict[str, dict[str, int]]
    goal: Goal
    short: dict[str, int]
    rejected: dict[str, int]
    notes: list[str]
    max_share: float = 0.5
    bedrock: dict[str, Any] | None = None
    check: CheckResult | None = None

    @property
    def augmented(self) -> int:
        return self.records - self.original

    @property
    def exit_code(self) -> int:
        if self.short:
            return 1
        return self.check.exit_code if self.check is not None else 0

    def summary(self) -> list[str]:
        """Per class original and augmented counts, then the dataset's, then what fell short."""
        lines = []
        for label, row in self.classes.items():
            lines.append(f"class {label!r}: {_counts(row['original'], row['augmented'], self)}")
        made = ", ".join(f"{name} {n:,}" for name, n in self.strategies.items()) or "none"
        lines.append(
            f"dataset: {_counts(self.original, self.augmented, self)}; made {self.made:,} ({made})"
        )
        for key, missing in self.short.items():
            where = "the dataset" if key == ALL else f"class {key!r}"
            lines.append(
                f"{where}: {count(missing, 'record')} short of the goal (no distinct variant "
                "left: add "
                "rules or templates, raise --max-per-record, or collect more data)"
            )
        return lines


def _counts(original: int, augmented: int, result: AugmentResult) -> str:
    total = original + augmented
    share = augmented / total if total else 0.0
    warn = f", over B005's {result.max_share:.0%}" if share > result.max_share else ""
    return (
        f"{original:,} original + {augmented:,} augmented = {total:,} ({share:.0%} augmented{warn})"
    )


def build_result(
    inv: Inventory,
    opts: AugmentOptions,
    goal: Goal,
    short: dict[str, int],
    producer: Producer,
    settings: Settings,
    sidecar: Path,
) -> AugmentResult:
    variants = [i for i, kind in enumerate(inv.kind) if kind == Inventory.VARIANT]
    classes: dict[str, dict[str, int]] = {}
    for index, label in enumerate(inv.labels):
        for one in elements(label):
            row = classes.setdefault(one, {"original": 0, "augmented": 0, "made": 0})
            row["augmented" if inv.kind[index] == Inventory.VARIANT else "original"] += 1
    strategies: dict[str, int] = {}
    for v in producer.variants:
        strategies[v.strategy] = strategies.get(v.strategy, 0) + 1
        for one in v.labels:
            classes[one]["augmented"] += 1
            classes[one]["made"] += 1
    notes = [f"goal: {why}" for why in goal.why]
    if not goal.per_class and goal.total is None:
        notes.append("nothing to add: the dataset already meets the goal")
    notes += [f"{n:,} {why}" for why, n in inv.not_rewritable.items()]
    if producer.guard.rejected:
        listed = ", ".join(f"{why} {n:,}" for why, n in sorted(producer.guard.rejected.items()))
        notes.append(f"candidates refused: {listed}")
    return AugmentResult(
        input=Path(inv.path),
        output=opts.output,
        sidecar=sidecar,
        format=inv.format,
        records=inv.records + len(producer.variants),
        original=inv.records - len(variants),
        made=len(producer.variants),
        strategies=dict(sorted(strategies.items())),
        classes=dict(sorted(classes.items())),
        goal=goal,
        short=short,
        rejected=dict(sorted(producer.guard.rejected.items())),
        notes=notes,
        max_share=max_share(settings),
    )
