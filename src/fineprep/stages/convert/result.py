"""What a conversion did: counts, files written, notices, G001 findings and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fineprep.core.model import Finding, Severity


@dataclass
class ConvertResult:
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
            lines.append(f"rejected {self.rejected:,} rows -> {self.rejects}{how}")
            lines.extend(f"  {reason}" for reason in self.first_rejects)
        lines.append(rate)
        return lines
