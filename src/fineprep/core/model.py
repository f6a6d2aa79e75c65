"""Core values shared by every layer: where a record is, what was found about it.

This module imports nothing else of fineprep, so every other module can depend on it.
Findings are plain values (never exceptions): checks yield them, reporters render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How bad a finding is; the order matters for ``--fail-on``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown severity {text!r}: use one of error, warning, info"
            ) from None


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: the JSONL file and 1-based line, and the JSON path inside it.

    ``source`` is the record's origin before conversion (``deeds.csv:row 17``) taken from the
    sidecar, so a labeller can find the row to fix in the file they actually edit.
    """

    path: str
    line: int | None = None
    json_path: str | None = None
    source: str | None = None


@dataclass(slots=True)
class Finding:
    """One problem (or statistic) about a record, a file or the dataset.

    ``data`` carries the numbers (``{"tokens": 5210, "limit": 4096}``) so that reporters and
    tests never have to parse ``message``. ``related`` are the other records the finding is
    about (the first copy of a duplicate, the training record a validation record leaks from),
    each with its own source row, so a labeller can open every record involved.
    """

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    data: dict[str, Any] = field(default_factory=dict)
    related: list[Location] = field(default_factory=list)

    def sort_key(self) -> tuple[str, int, str, str]:
        return (
            self.location.path,
            self.location.line or 0,
            self.code,
            self.location.json_path or "",
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict` (a cached result read back)."""
        return cls(
            code=d["code"],
            name=d["name"],
            severity=Severity(d["severity"]),
            message=d["message"],
            location=Location(d["path"], d["line"], d["json_path"], d["source"]),
            data=d["data"],
            related=[
                Location(r["path"], r["line"], None, r["source"]) for r in d.get("related", ())
            ],
        )

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": loc.path,
            "line": loc.line,
            "json_path": loc.json_path,
            "source": loc.source,
            "data": self.data,
        } | ({"related": [related_dict(r) for r in self.related]} if self.related else {})


def related_dict(loc: Location) -> dict[str, Any]:
    """A related record in the JSON report: its file, line and source row."""
    return {"path": loc.path, "line": loc.line, "source": loc.source}


_META_KEYS = frozenset({"id", "label", "group", "source"})

#: Sidecar keys of a record made by ``fineprep augment``: the id of the original it was made
#: from (its group is copied too, so a split keeps them together), the strategy that made it
#: and what the strategy did. Counts "with and without augmented records" read these.
AUGMENTED_FROM = "augmented_from"
AUGMENT_STRATEGY = "augment_strategy"
AUGMENT_DETAIL = "augment_detail"


@dataclass(slots=True)
class RecordMeta:
    """Sidecar values for one record: never part of what is uploaded to Bedrock."""

    id: str | None = None
    label: Any = None
    group: str | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RecordMeta:
        # Called once per sidecar line: plain lookups, no comprehension unless extra keys.
        get = obj.get
        rid, label, group, source = get("id"), get("label"), get("group"), get("source")
        known = ("id" in obj) + ("label" in obj) + ("group" in obj) + ("source" in obj)
        return cls(
            None if rid is None else rid if type(rid) is str else str(rid),
            label,
            None if group is None else group if type(group) is str else str(group),
            None if source is None else source if type(source) is str else str(source),
            {} if known == len(obj) else {k: v for k, v in obj.items() if k not in _META_KEYS},
        )

    @property
    def augmented_from(self) -> str | None:
        """The id of the original this record is a variant of (None: an original)."""
        value = self.extra.get(AUGMENTED_FROM) if self.extra else None
        return None if value is None else str(value)

    @property
    def augment_strategy(self) -> str:
        """The strategy that made an augmented record (``unknown`` when the sidecar omits it)."""
        value = self.extra.get(AUGMENT_STRATEGY) if self.extra else None
        return str(value) if value is not None else "unknown"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "group": self.group}
        out["source"] = self.source
        out.update(self.extra)
        return out


@dataclass(slots=True)
class Record:
    """A parsed line: ``data`` is exactly the Bedrock JSON object, ``meta`` its sidecar line."""

    data: Any
    location: Location
    raw: bytes = b""
    meta: RecordMeta | None = None
