"""The check framework: checks, the code that emits the rules of :mod:`fineprep.core.rules`.

A *check* is what runs: it declares the codes it emits and gets the record stream. One check
may emit several related codes (the format validator finds S001, S003 and S006 in one walk of
the record), which keeps every record walked once.

Lifecycle per run: ``start(run)``, then per file ``start_file(file)``, ``check(rec)`` for each
record, ``finish_file(file)``; finally ``finish(run)`` for cross-file (dataset) findings.

A partitioned run (``--jobs``, Dask) runs ``start``, ``start_file`` and ``check`` over each
partition in a worker, which returns ``export_partition()``; the run's own checks then
``absorb_partition`` every partition's state, in file order, before ``finish_file``. A check
whose ``check`` keeps state across records implements both, so that what ``finish_file`` and
``finish`` see is what one pass over the file would have left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.registry import Registry
from fineprep.core.rules import RULES

if TYPE_CHECKING:
    from fineprep.stages.check.state import FileState, RecordContext, RunState


class Check:
    """Base class of every check. Subclasses set ``codes`` and override what they need."""

    codes: ClassVar[tuple[str, ...]] = ()
    #: Formats the per-record hook applies to (None: all).
    formats: ClassVar[frozenset[str] | None] = None
    #: Whether ``check`` must see records whose structure is invalid.
    needs_valid: ClassVar[bool] = True
    #: ``finish`` runs after every check with a lower value: a check that counts what the
    #: others found (valid distillation prompts) goes last.
    finish_order: ClassVar[int] = 0

    def __init__(self, run: RunState) -> None:
        self.run = run

    def start(self, run: RunState) -> None:
        """Called once before the first file."""

    def start_file(self, file: FileState) -> None:
        """Called before the first record of each file."""

    def check(self, rec: RecordContext) -> None:
        """Called for each parsed record."""

    def finish_file(self, file: FileState) -> None:
        """Called after the last record of each file."""

    def finish(self, run: RunState) -> None:
        """Called once after the last file: dataset-level findings."""

    def export_partition(self) -> Any:
        """The state ``check`` kept over one partition (picklable); None: the check keeps none."""
        return None

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        """Add a later partition's exported state to this check's (``tickets`` maps the
        partition's token tickets to this run's)."""

    #: Whether ``check`` is a real per-record hook (lets the engine skip no-op calls).
    @classmethod
    def has_record_hook(cls) -> bool:
        return cls.check is not Check.check


CHECKS: Registry[type[Check]] = Registry("check")


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: add a check to the registry (every code must have a rule)."""
    for code in cls.codes:
        RULES.get(code)
    CHECKS.add(cls.__name__, cls)
    return cls
