"""What every strategy provides: candidate variants of an original, lazily, best first.

A strategy proposes; :mod:`.guard` decides. Candidates are produced on demand, so a budgeted
strategy (Bedrock) is only called for the variants that are still needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fineprep.stages.augment.records import Original

JsonPath = tuple[str | int, ...]


@dataclass
class Candidate:
    """A proposed variant: the whole record, who made it and how, and the texts it changed."""

    record: dict[str, Any]
    strategy: str
    detail: str
    changes: dict[JsonPath, str] = field(default_factory=dict)


class Strategy(Protocol):
    name: str

    def candidates(self, original: Original) -> Iterator[Candidate]: ...
