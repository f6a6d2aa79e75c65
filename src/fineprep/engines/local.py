"""The ``local`` engine: partitions run one after the other in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from fineprep.engines.base import EngineOptions

T = TypeVar("T")
R = TypeVar("R")


class LocalEngine:
    """Runs every partition here; what ``--jobs 1`` and small inputs use."""

    name = "local"

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.workers = 1

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return (fn(item) for item in items)

    def close(self) -> None:
        pass
