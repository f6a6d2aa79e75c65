"""B001-B004: class balance of a labelled dataset, per split.

A record's label comes from :func:`fineprep.formats.base.record_label` (the sidecar's
``label``, or the answer text), so these checks see the classes ``fineprep split`` stratifies
on. The state is one counter per (label, split role), mergeable by addition.

Answers are treated as labels only when the data looks like classification: a sidecar label,
``labels = [...]`` in config, or ``label-from = "completion"`` says so explicitly; otherwise at
most 50 distinct answers of at most 100 characters, each class holding two records on average.
Without that rule every generative dataset would be "imbalanced" with one class per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.rules import option, rule
from fineprep.core.wording import count
from fineprep.formats.base import record_label
from fineprep.stages.check.rules.augmented import count_note, share_findings
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState

rule(
    "B001",
    "class-imbalance",
    "warning",
    "largest/smallest class ratio over threshold",
    what="In the training set, the largest class has more than `ratio` times (default 10) the "
    "records of the smallest (classes too rare for B002 are left out of the comparison). Counts "
    "per class and split are in data.counts.",
    why="A fine-tuned model learns the base rate: with 95% 'no' it answers 'no' to almost "
    "everything, and the loss still looks good.",
    example="train: negative 4,750, positive 250 (ratio 19.0)",
    fix="Collect more of the small classes, or downsample the large ones deterministically with "
    "`fineprep split --max-per-class N`. Tune with [tool.fineprep.checks.B001] ratio = 20.",
    options={"ratio": "largest/smallest class size in train above which to warn (10)"},
)
rule(
    "B002",
    "rare-class",
    "warning",
    "class with too few examples to learn or stratify",
    what="A class with fewer than `min-count` records (default 10) in the whole dataset "
    "(train, validation and test together).",
    why="A handful of examples is too few to learn a class, and too few to put some in "
    "validation: `fineprep split` keeps such classes entirely in train rather than leave one "
    "record to judge them by.",
    example="class 'refund-fraud' has 3 records (minimum 10)",
    fix="Add examples, merge the class into a related one, or drop it; if the label is a typo, "
    "fix it (declare `labels = [...]` so C003 catches the next one).",
    options={"min-count": "records a class needs in the dataset (10)"},
)
rule(
    "B003",
    "class-missing-in-split",
    "warning",
    "class in train but absent from validation (or the reverse)",
    what="A class that has records in train but none in a validation or test file, or records "
    "in validation or test but none in train. Classes too rare to split (B002) are only "
    "reported in the second direction.",
    why="Validation loss then says nothing about that class; a class the model never trained on "
    "cannot be predicted at all.",
    example="class 'cancel' has 40 records in train and 0 in validation",
    fix="Split again with stratification (`fineprep split --stratify label`), or move records.",
)
rule(
    "B004",
    "single-class",
    "warning",
    "only one label in a labelled dataset",
    what="Every labelled record has the same label (or the same short answer).",
    why="A model trained on one class learns to answer that class whatever the input; usually "
    "the export filtered on the label by mistake.",
    example="all 1,200 records are labelled 'positive'",
    fix="Check the export or query that produced the data; add the other classes.",
)

_ROLES = ("train", "validation", "test")
#: Auto-detection of classification data from answers (see the module docstring).
_MAX_AUTO_CLASSES = 50
_MAX_LABEL_CHARS = 100
#: Distinct labels tracked before a dataset without declared labels counts as free text.
_MAX_TRACKED = 10_000


def looks_labelled(classes: int, records: int, *, explicit: bool, free_text: bool) -> bool:
    """Whether the labels seen are classes: always when a sidecar label or the config says so
    (``explicit``), else only for classification-like answers (see the module docstring);
    ``free_text`` is an answer used as a label that is longer than a class name can be."""
    if explicit:
        return classes > 0
    return not free_text and 0 < classes <= _MAX_AUTO_CLASSES and records >= 2 * classes


def long_label(labels: tuple[str, ...]) -> bool:
    return any(len(one) > _MAX_LABEL_CHARS for one in labels)


@register
class BalanceCheck(Check):
    """Per-class counts per split role; findings about the whole dataset in ``finish``.

    Augmented records (a sidecar ``augmented_from``) are counted apart as well: verdicts are
    on every record, messages and ``data`` also say how many of them are augmented (B005
    warns when they are too many)."""

    codes: ClassVar[tuple[str, ...]] = ("B001", "B002", "B003", "B004", "B005")

    def start(self, run: RunState) -> None:
        s = run.settings
        self.ratio = float(option(s.check_options("B001"), "ratio", 10.0, float))
        self.min_count = option(s.check_options("B002"), "min-count", 10, int)
        self.label_from = s.label_from
        self.declared = s.labels is not None or s.label_from == "completion"
        self.counts: dict[str, list[int]] = {}
        #: Of ``counts``, the augmented records (only labels that have any).
        self.augmented: dict[str, list[int]] = {}
        self.extra: dict[str, Any] = {}
        self.from_meta = False
        self.free_text = False
        self.overflow = False
        self.records = 0

    def start_file(self, file: FileState) -> None:
        self.role = _ROLES.index(file.role) if file.role in _ROLES else 0

    def check(self, rec: RecordContext) -> None:
        meta = rec.meta
        label = record_label(rec.view, meta, self.label_from, rec.file.has_sidecar)
        if label is None:
            return
        meta_label = meta is not None and meta.label is not None
        self.from_meta = self.from_meta or (meta_label and self.label_from != "completion")
        self.records += 1
        role = self.role
        variant = meta is not None and meta.augmented_from is not None
        labels = label if isinstance(label, tuple) else (label,)
        if not meta_label and long_label(labels):
            self.free_text = True
        # One label (the common case) needs no de-duplication.
        for one in labels if len(labels) == 1 else dict.fromkeys(labels):
            row = self.counts.get(one)
            if row is None:
                if len(self.counts) >= _MAX_TRACKED:
                    self.overflow = True
                    continue
                row = self.counts[one] = [0, 0, 0]
            row[role] += 1
            if variant:
                self.augmented.setdefault(one, [0, 0, 0])[role] += 1

    def export_partition(self) -> Any:
        return (self.counts, self.augmented, self.from_meta, self.free_text, self.overflow,
                self.records)  # fmt: skip

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        """Labels join in the order a single pass meets them (a later partition's new labels
        after the earlier ones'), up to the same cap."""
        counts, augmented, from_meta, free_text, overflow, records = state
        self.from_meta = self.from_meta or from_meta
        self.free_text = self.free_text or free_text
        self.overflow = self.overflow or overflow
        self.records += records
        for label, row in counts.items():
            mine = self.counts.get(label)
            if mine is None:
                if len(self.counts) >= _MAX_TRACKED:
                    self.overflow = True
                    continue
                mine = self.counts[label] = [0, 0, 0]
            for k in range(3):
                mine[k] += row[k]
            extra = augmented.get(label)
            if extra is not None:
                into = self.augmented.setdefault(label, [0, 0, 0])
                for k in range(3):
                    into[k] += extra[k]

    def labelled(self) -> bool:
        if self.overflow:
            return False
        return looks_labelled(
            len(self.counts),
            self.records,
            explicit=self.from_meta or self.declared,
            free_text=self.free_text,
        )

    def _per_role(self, table: dict[str, list[int]], present: set[str]) -> dict[str, Any]:
        return {
            role: {label: row[k] for label, row in sorted(table.items()) if row[k]}
            for k, role in enumerate(_ROLES)
            if role in present
        }

    def _aug(self, label: str, role: int | None = None) -> int:
        row = self.augmented.get(label)
        if row is None:
            return 0
        return sum(row) if role is None else row[role]

    def finish(self, run: RunState) -> None:
        where = _first(run, "train") or (run.files[0] if run.files else None)
        if not self.labelled():
            share_findings(run, where, None)
            return
        present = {f.role for f in run.files}
        data_counts = self._per_role(self.counts, present)
        totals = {label: sum(row) for label, row in self.counts.items()}
        run.stats["balance"] = {"classes": _by_label(self.counts, present)}
        share_findings(run, where, {k: (n, self._aug(k)) for k, n in totals.items()})
        if self.augmented:
            # The same counts without the augmented records, for every B finding.
            originals = {
                label: [
                    n - a for n, a in zip(row, self.augmented.get(label, [0, 0, 0]), strict=True)
                ]
                for label, row in self.counts.items()
            }
            self.extra = {
                "original_counts": self._per_role(originals, present),
                "augmented_counts": self._per_role(self.augmented, present),
            }
            run.stats["balance"]["augmented"] = _by_label(self.augmented, present)
        else:
            self.extra = {}
        if len(totals) == 1:
            (only,) = totals
            run.emit(
                "B004",
                f"every labelled record has the label {only!r} ({totals[only]:,} records"
                f"{count_note(totals[only], self._aug(only))})",
                where,
                None,
                None,
                {"label": only, "counts": data_counts, **self.extra},
            )
            return
        self._imbalance(run, where, data_counts)
        for label, total in sorted(totals.items()):
            if total < self.min_count:
                run.emit(
                    "B002",
                    f"class {label!r} has {total:,} record{'s' if total != 1 else ''}"
                    f"{count_note(total, self._aug(label))} (minimum {self.min_count})",
                    where,
                    None,
                    None,
                    {
                        "label": label,
                        "records": total,
                        "minimum": self.min_count,
                        "counts": data_counts,
                        **self.extra,
                    },
                )
        self._missing(run, totals, data_counts)

    def _imbalance(self, run: RunState, where: FileState | None, counts: dict[str, Any]) -> None:
        # Classes below B002's minimum are B002's; comparing with them would repeat it.
        train = {
            label: row[0]
            for label, row in self.counts.items()
            if row[0] and sum(row) >= self.min_count
        }
        if len(train) < 2:
            return
        largest = max(sorted(train), key=lambda k: train[k])
        smallest = min(sorted(train), key=lambda k: train[k])
        ratio = train[largest] / train[smallest]
        if ratio > self.ratio:
            big = count_note(train[largest], self._aug(largest, 0))
            small = count_note(train[smallest], self._aug(smallest, 0))
            run.emit(
                "B001",
                f"train classes are imbalanced: {largest!r} has {train[largest]:,} records{big}, "
                f"{smallest!r} {train[smallest]:,}{small} (ratio {ratio:.1f}, threshold "
                f"{self.ratio:g})",
                where,
                None,
                None,
                {
                    "ratio": round(ratio, 3),
                    "threshold": self.ratio,
                    "largest": {"label": largest, "records": train[largest]},
                    "smallest": {"label": smallest, "records": train[smallest]},
                    "counts": counts,
                    **self.extra,
                },
            )

    def _missing(self, run: RunState, totals: dict[str, int], counts: dict[str, Any]) -> None:
        train_file = _first(run, "train")
        for k, role in enumerate(_ROLES[1:], 1):
            other = _first(run, role)
            if other is None or train_file is None:
                continue
            for label, row in sorted(self.counts.items()):
                if row[0] and not row[k] and totals[label] >= self.min_count:
                    note = count_note(row[0], self._aug(label, 0))
                    has = count(row[0], "record")
                    message = f"class {label!r} has {has}{note} in train and none in {role}"
                    run.emit(
                        "B003",
                        message,
                        other,
                        None,
                        None,
                        {"label": label, "missing_in": role, "counts": counts, **self.extra},
                    )
                elif row[k] and not row[0]:
                    note = count_note(row[k], self._aug(label, k))
                    has = count(row[k], "record")
                    message = f"class {label!r} has {has}{note} in {role} and none in train"
                    run.emit(
                        "B003",
                        message,
                        train_file,
                        None,
                        None,
                        {"label": label, "missing_in": "train", "counts": counts, **self.extra},
                    )


def _by_label(table: dict[str, list[int]], present: set[str]) -> dict[str, dict[str, int]]:
    """``{label: {role: n}}``: the shape the HTML report's class chart reads."""
    return {
        label: {role: row[k] for k, role in enumerate(_ROLES) if role in present and row[k]}
        for label, row in sorted(table.items())
    }


def _first(run: RunState, role: str) -> FileState | None:
    for file in run.files:
        if file.role == role:
            return file
    return None
