"""What one call of a grader came to: a result, a failure, or a timeout, and how long it took."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class Failure:
    """The grader failed: its exception type (or ``crash``) and message. ``transient`` when
    the call never reached the function (a throttle that outlasted the retries): nothing about
    the records, so the batch is not split into single-record calls to find the culprit."""

    kind: str
    message: str
    error_type: str = ""
    transient: bool = False


@dataclass
class Call:
    seconds: float
    result: Any = None
    failure: Failure | None = None
    timed_out: bool = False


class Grader(Protocol):
    """A reward function fineprep can call: local (:mod:`.local`) or a Lambda (:mod:`.remote`)."""

    name: str

    def call(self, event: list[dict[str, Any]], timeout: float) -> Call: ...

    def close(self) -> None: ...
