"""A run's token counter: one token source, resolved on first use, counting beside the checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fineprep.tokens.source import TokenSource, fallback

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile
    from fineprep.tokens.workers import Counts


class TokenCounter:
    """Counts tokens for one source, counting records tokenized.

    The source's vocabulary is looked for on first use; when it is not on this machine the
    counter falls back to the profile's calibrated proxy (``effective`` says which, and the
    findings say ``estimate``). ``defer`` hands a record to the worker processes
    (fineprep.tokens.workers) and ``resolve`` returns every deferred count at the end of the
    run, so tokenizing overlaps the checks instead of adding to them.
    """

    def __init__(self, source: TokenSource, profile: ModelProfile | None = None) -> None:
        self.source = source
        self.profile = profile
        self.records_tokenized = 0
        self._effective: TokenSource | None = None
        self._longest: int | None = None
        self._deferred: Any = None
        #: Counts made elsewhere (a partition's worker), under negative tickets.
        self._known: dict[int, Counts] = {}

    @property
    def effective(self) -> TokenSource:
        """The source counts really come from (the declared one, or its fallback proxy)."""
        if self._effective is None:
            from fineprep.tokens.catalogue import get_spec
            from fineprep.tokens.vocab import locate

            spec = get_spec(self.source.tokenizer)
            found = spec is not None and locate(spec, self.source.file) is not None
            self._effective = self.source if found else fallback(self.source, self.profile)
        return self._effective

    def longest_token(self) -> int:
        """Bytes of the counted tokenizer's longest token: ``bytes / longest`` is a lower bound
        on its count, which proves a huge record over a limit without tokenizing it."""
        if self._longest is None:
            from fineprep.tokens.encoding import longest_token

            src = self.effective
            self._longest = longest_token(src.tokenizer, src.file)
        return self._longest

    def defer(self, inputs: list[str], outputs: list[str], size: int) -> int:
        """Queue a record's texts (``size`` bytes) for counting; returns its ticket."""
        if self._deferred is None:
            from fineprep.tokens.workers import DeferredCounts

            self._deferred = DeferredCounts(self.effective)
        self.records_tokenized += 1
        ticket: int = self._deferred.add(inputs, outputs, size)
        return ticket

    def add_counted(self, counts: Counts) -> int:
        """A record counted elsewhere (a partition's worker): its ticket for ``resolve``."""
        ticket = -1 - len(self._known)
        self._known[ticket] = counts
        self.records_tokenized += 1
        return ticket

    def resolve(self) -> Callable[[int], Counts]:
        """Wait for the deferred counts; returns ``ticket -> counts`` (input estimate, low,
        high, then output estimate, low, high)."""
        get: Callable[[int], Counts] = (
            _no_tickets if self._deferred is None else self._deferred.finish()
        )
        if not self._known:
            return get
        known = self._known
        return lambda ticket: known[ticket] if ticket < 0 else get(ticket)

    def close(self) -> None:
        """Stop any worker processes (a run that fails must not leave them behind)."""
        if self._deferred is not None:
            self._deferred.close()


def _no_tickets(ticket: int) -> Counts:
    raise KeyError(ticket)
