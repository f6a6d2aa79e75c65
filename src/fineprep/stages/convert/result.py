"""What a conversion did: counts, files written, notices, G001 findings and the exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fineprep.core.model import Finding, Severity
from fineprep.core.results import Result
from fineprep.core.wording import count

#: Failed inputs and rows with removed control characters listed in the summary, at most.
SHOWN = 20


def located(where: str, why: str) -> str:
    """``where: why``, without saying the place twice when the reason starts with it."""
    return why if why.startswith(where) else f"{where}: {why}"


def describe(found: Counter[str]) -> str:
    """``U+0008 x3, U+001B x1``: which control characters, how many of each."""
    return ", ".join(f"U+{ord(c):04X} x{n}" for c, n in sorted(found.items()))


@dataclass
class ConvertResult(Result):
    """Returned by :func:`fineprep.stages.convert.runner.convert` (and printed by the CLI)."""

    target: str
    model: str | None = None
    rows: int = 0
    records: int = 0
    rejected: int = 0
    seconds: float = 0.0
    output: Path | None = None
    sidecar: Path | None = None
    rejects: Path | None = None
    rejects_defaulted: bool = False
    notices: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    first_rejects: list[str] = field(default_factory=list)
    #: Why no records were written (None when they were).
    stopped: str | None = None
    #: A table-level expectation failed, so the conversion stopped before writing.
    expectations_failed: bool = False
    #: Input files read (folders expanded), and those that could not be read at all.
    files: int = 0
    failed_files: list[tuple[str, str]] = field(default_factory=list)
    files_failed: int = 0
    #: Control characters removed: by character, and (source, count) of the first rows.
    control_chars: Counter[str] = field(default_factory=Counter)
    control_rows: list[tuple[str, int]] = field(default_factory=list)
    control_row_count: int = 0

    @property
    def exit_code(self) -> int:
        """0 all converted; 1 rows rejected or expectations failed; 2 nothing converted."""
        if self.expectations_failed:
            return 1
        if self.output is None:
            return 2
        if self.rejected or any(f.severity is Severity.ERROR for f in self.findings):
            return 1
        return 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> list[str]:
        """The lines printed on stderr after a conversion."""
        lines = list(self.notices)
        rate = f"{self.rows:,} rows in {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/s)"
        if self.files > 1 or self.files_failed:
            ok = self.files - self.files_failed
            lines.append(f"files: {ok:,} read, {self.files_failed:,} failed")
            lines.extend(f"  failed: {located(w, y)}" for w, y in self.failed_files[:SHOWN])
            if len(self.failed_files) > SHOWN:
                lines.append(f"  ... {len(self.failed_files) - SHOWN:,} more in the rejects file")
        if self.control_chars:
            rows = ", ".join(f"{where} ({n})" for where, n in self.control_rows[:SHOWN])
            more = self.control_row_count - min(len(self.control_rows), SHOWN)
            rows += f", ... {more:,} more rows" if more > 0 else ""
            lines.append(
                f"removed {sum(self.control_chars.values()):,} control characters "
                f"({describe(self.control_chars)}) from {self.control_row_count:,} rows: {rows}"
            )
        if self.output is not None:
            extra = (
                f", {self.records:,} records" if self.records != self.rows - self.rejected else ""
            )
            lines.append(
                f"converted {self.rows - self.rejected:,} of {self.rows:,} rows to {self.target}"
                f"{extra} -> {self.output} (sidecar {self.sidecar})"
            )
        if self.rejects is not None:
            how = " (default rejects file: no --rejects given)" if self.rejects_defaulted else ""
            lines.append(f"rejected {count(self.rejected, 'row')} -> {self.rejects}{how}")
            lines.extend(f"  {reason}" for reason in self.first_rejects)
        lines.append(rate)
        return lines
