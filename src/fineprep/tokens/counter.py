"""A run's token counter: one encoding, loaded on first use, counting beside the checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fineprep.tokens.encoding import load_encoding


class TokenCounter:
    """Counts tokens for one encoding, loading it on first use and counting records tokenized.

    ``defer`` hands a record to the worker processes (fineprep.tokens.workers) and ``resolve``
    returns every deferred count at the end of the run, so tokenizing overlaps the checks
    instead of adding to them.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.records_tokenized = 0
        self._longest: int | None = None
        self._deferred: Any = None

    def longest_token(self) -> int:
        """Bytes of the encoding's longest token: ``bytes / longest`` is a lower bound on the
        token count, which proves a huge record over a limit without tokenizing it."""
        if self._longest is None:
            enc = load_encoding(self.encoding)
            self._longest = max(len(b) for b in enc.token_byte_values())
        return self._longest

    def defer(self, inputs: list[str], outputs: list[str], size: int) -> int:
        """Queue a record's texts (``size`` bytes) for counting; returns its ticket."""
        if self._deferred is None:
            from fineprep.tokens.workers import DeferredCounts

            self._deferred = DeferredCounts(self.encoding)
        self.records_tokenized += 1
        ticket: int = self._deferred.add(inputs, outputs, size)
        return ticket

    def resolve(self) -> Callable[[int], tuple[int, int]]:
        """Wait for the deferred counts; returns ``ticket -> (input, output tokens)``."""
        if self._deferred is None:
            return _no_tickets
        get: Callable[[int], tuple[int, int]] = self._deferred.finish()
        return get

    def close(self) -> None:
        """Stop any worker processes (a run that fails must not leave them behind)."""
        if self._deferred is not None:
            self._deferred.close()


def _no_tickets(ticket: int) -> tuple[int, int]:
    raise KeyError(ticket)
