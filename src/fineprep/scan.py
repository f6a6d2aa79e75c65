"""One pass over a record's bytes that tells every text scan whether it needs to run.

The hygiene, control-character and reserved-string checks each have a precise pattern and a set
of literals every hit must contain. Testing 60 literals one by one costs 60 passes over the line;
an Aho-Corasick automaton finds all of them in one. The line is first folded (ASCII upper case to
lower case, digits 1-9 to 0) so one literal stands for every case and digit variant: the scan is
a superset of each family's hits (false hits only cost the precise scan; a miss would hide a
finding, and the tests check that every example hit passes its family's literals).

Without ``pyahocorasick`` (a dependency, but an optional C build on exotic platforms) the same
literals are tested with ``in``: slower, same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Tag of the literals that mean "JSON escapes present: scan decoded text instead".
ESCAPES = "escapes"
_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789", b"abcdefghijklmnopqrstuvwxyz000000000"
)


def fold(raw: bytes) -> bytes:
    return raw.translate(_FOLD)


class LiteralScanner:
    """Maps a raw line to the set of tags whose literals occur in it."""

    def __init__(self, families: Mapping[str, Iterable[bytes]]) -> None:
        self.families = {tag: tuple(fold(lit) for lit in lits) for tag, lits in families.items()}
        self._automaton: Any = None
        try:
            import ahocorasick
        except ImportError:  # pragma: no cover - exercised where the wheel is missing
            return
        automaton = ahocorasick.Automaton()
        owners: dict[str, set[str]] = {}
        for tag, lits in self.families.items():
            for lit in lits:
                owners.setdefault(lit.decode("latin-1"), set()).add(tag)
        for word, tags in owners.items():
            automaton.add_word(word, frozenset(tags))
        automaton.make_automaton()
        self._automaton = automaton

    def scan(self, raw: bytes) -> frozenset[str]:
        folded = raw.translate(_FOLD)
        if self._automaton is None:
            return frozenset(
                tag for tag, lits in self.families.items() if any(lit in folded for lit in lits)
            )
        found: set[str] = set()
        for _end, tags in self._automaton.iter(folded.decode("latin-1")):
            found |= tags
        return frozenset(found)
