"""Regular expressions written by users (config files, schemas) run in bounded time.

Python's ``re`` backtracks: ``^([a-z0-9]+)*$`` on a 41-character answer that does not match
takes longer than the age of the universe, and nothing can interrupt it (the matcher does not
look at signals). A config file is shared in a repository, so anyone who can edit it could
hang every CI run that checks data. Patterns from users therefore never run on ``re``:

- RE2 (``google-re2``) first: it matches in time linear in the text, whatever the pattern.
  Measured on this project's machines: ``^([a-z0-9]+)*$`` on 41 characters, 30 us with RE2
  against "never ends" with ``re``; an ordinary pattern costs ~3 us a match against ~0.2 us,
  which is nothing next to parsing a record.
- Patterns RE2 cannot express (backreferences, lookaround) run on the ``regex`` module with a
  time limit per match (:data:`TIMEOUT_SECONDS`); running out of time raises
  :class:`PatternTimeout`, which the caller turns into a finding on that one record.

A pattern neither engine compiles is a :class:`~fineprep.core.errors.ConfigError` naming where
it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from fineprep.core.errors import ConfigError

#: Time a backtracking match may take before it counts as a failure of that value.
TIMEOUT_SECONDS = 0.25


#: Bound on the product of a fallback pattern's repetition counts: ``regex`` unrolls counted
#: repetition when it compiles, so ``((a{1000}){1000}){1000}`` would never finish compiling.
MAX_REPEAT = 100_000
_COUNT = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


class PatternTimeout(Exception):
    """A backtracking pattern ran out of time on one text (a finding, not a crash)."""

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self.pattern = pattern

    def __str__(self) -> str:
        return (
            f"pattern {self.pattern[:80]!r} took longer than {TIMEOUT_SECONDS:g} s on this "
            "value (simplify it: nested quantifiers such as (a+)* backtrack)"
        )


class UserPattern:
    """One compiled user pattern with the ``search``/``finditer``/``sub`` calls fineprep uses."""

    def __init__(self, source: str, compiled: Any, engine: str) -> None:
        self.source = source
        self.engine = engine
        self._compiled = compiled
        self.groups: int = compiled.groups
        self.groupindex: dict[str, int] = dict(compiled.groupindex)

    def _bounded(self) -> dict[str, float]:
        return {"timeout": TIMEOUT_SECONDS} if self.engine == "regex" else {}

    def search(self, text: str) -> Any:
        try:
            return self._compiled.search(text, **self._bounded())
        except TimeoutError:
            raise PatternTimeout(self.source) from None

    def finditer(self, text: str) -> Iterator[Any]:
        try:
            yield from self._compiled.finditer(text, **self._bounded())
        except TimeoutError:
            raise PatternTimeout(self.source) from None


def _re2(source: str, ignore_case: bool) -> Any:
    try:
        import re2
    except ImportError:  # no wheel for this platform: the bounded fallback serves every pattern
        return None
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own parse errors on stderr
    options.case_sensitive = not ignore_case
    try:
        return re2.compile(source, options)
    except re2.error:
        return None


@lru_cache(maxsize=512)
def compile_user_pattern(source: str, where: str, ignore_case: bool = False) -> UserPattern:
    """The pattern on a linear-time engine, else on a bounded one; a ConfigError if invalid.

    ``where`` names the pattern's origin for the error (``completion-schema schema.json``)."""
    compiled = _re2(source, ignore_case)
    if compiled is not None:
        return UserPattern(source, compiled, "re2")
    product = 1
    for low, high in _COUNT.findall(source):
        product *= max(int(low), int(high or 0), 1)
        if product > MAX_REPEAT:  # ``regex`` would unroll the counts while compiling
            raise ConfigError(
                f"{where}: pattern {source[:80]!r} repeats more than {MAX_REPEAT:,} times "
                "in its counts",
                hint="use + or * instead of large counts",
            )
    import regex

    try:
        compiled = regex.compile(source, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise ConfigError(
            f"{where}: pattern {source[:80]!r} is not a valid regular expression ({exc})",
            hint="fix the pattern",
        ) from None
    return UserPattern(source, compiled, "regex")
