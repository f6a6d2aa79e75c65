"""What every result of the Python API offers a notebook: ``to_dict()`` and ``to_pandas()``.

``to_dict()`` is plain JSON data (paths as strings, severities as their names), the same shape
the CLI's JSON output has where there is one. ``to_pandas()`` is the result's findings as a
DataFrame, one row per finding with its location and numbers, so ``df.groupby("code")`` works
the same after check, split, upload and run. pandas is imported only there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import Enum
from pathlib import PurePath
from typing import Any

from fineprep.core.model import Finding

FINDING_COLUMNS = (
    "code", "name", "severity", "message", "path", "line", "json_path", "source", "data",
)  # fmt: skip


def plain(value: Any) -> Any:
    """JSON-ready data: dataclasses as dicts of their public fields (a nested result as its own
    ``to_dict()``), paths as strings, enums as their values."""
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, Finding):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def findings_frame(findings: Iterable[Finding]) -> Any:
    """The findings as a pandas DataFrame (columns: :data:`FINDING_COLUMNS`)."""
    from fineprep.core.errors import require

    require("pandas", "to_pandas()")  # the [pandas] extra; to_dict() needs nothing
    import pandas as pd

    rows = [f.to_dict() for f in findings]
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


class Result:
    """Base of the API's result types (dataclasses): ``to_dict()`` and ``to_pandas()``."""

    def to_dict(self) -> dict[str, Any]:
        return _fields(self)

    def result_findings(self) -> list[Finding]:
        """The findings ``to_pandas()`` tabulates (a result holding a check: that check's)."""
        own = getattr(self, "findings", None)
        if isinstance(own, list):
            return own
        check = getattr(self, "check", None)
        return check.result_findings() if isinstance(check, Result) else []

    def to_pandas(self) -> Any:
        return findings_frame(self.result_findings())


def _fields(value: Any) -> dict[str, Any]:
    return {
        f.name: plain(getattr(value, f.name))
        for f in dataclasses.fields(value)
        if not f.name.startswith("_") and f.repr
    }
