"""One pass over a record's bytes that tells every text scan whether it needs to run.

The hygiene, control-character and reserved-string checks each have a precise pattern and a set
of literals every hit must contain. Testing 120 literals one by one costs 120 passes over the
line; a multi-literal matcher finds all of them in one. Literals match case-insensitively (ASCII)
and any digit matches any digit (literals are written with ``0``), so one literal stands for
every case and digit variant: the scan is a superset of each family's hits (false hits only cost
the precise scan; a miss would hide a finding, and the tests check that every example hit passes
its family's literals, on every backend).

Backends, fastest first: Hyperscan (SIMD, ~3 GB/s on the raw line, no folded copy), Aho-Corasick
(pyahocorasick, ~100 MB/s on a folded copy), plain ``in`` tests (no extension module). The first
one importable is used; all give the same answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: Tag of the literals that mean "JSON escapes present: scan decoded text instead".
ESCAPES = "escapes"
_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789", b"abcdefghijklmnopqrstuvwxyz000000000"
)
BACKENDS = ("hyperscan", "ahocorasick", "plain")


def fold(raw: bytes) -> bytes:
    return raw.translate(_FOLD)


class LiteralScanner:
    """Maps a raw line to the set of tags whose literals occur in it."""

    def __init__(self, families: Mapping[str, Iterable[bytes]], backend: str | None = None) -> None:
        self.families = {tag: tuple(fold(lit) for lit in lits) for tag, lits in families.items()}
        owners: dict[bytes, set[str]] = {}
        for tag, lits in self.families.items():
            for lit in lits:
                owners.setdefault(lit, set()).add(tag)
        self._owners = {lit: frozenset(tags) for lit, tags in owners.items()}
        self.backend = ""
        self.scan: Callable[[bytes], frozenset[str]] = self._scan_plain
        for name in (backend,) if backend else BACKENDS:
            build = getattr(self, f"_build_{name}")
            if build():
                self.backend = name
                return
        raise ValueError(f"scanner backend {backend!r} is not available")  # pragma: no cover

    # -- plain: no extension module -------------------------------------------------------
    def _build_plain(self) -> bool:
        self.scan = self._scan_plain
        return True

    def _scan_plain(self, raw: bytes) -> frozenset[str]:
        folded = raw.translate(_FOLD)
        return frozenset(
            tag for tag, lits in self.families.items() if any(lit in folded for lit in lits)
        )

    # -- Aho-Corasick over a folded copy ----------------------------------------------------
    def _build_ahocorasick(self) -> bool:
        try:
            import ahocorasick
        except ImportError:  # pragma: no cover - exercised where the wheel is missing
            return False
        automaton = ahocorasick.Automaton()
        for lit, tags in self._owners.items():
            automaton.add_word(lit.decode("latin-1"), tags)
        if self._owners:
            automaton.make_automaton()
        iterate = automaton.iter

        def scan(raw: bytes) -> frozenset[str]:
            if not self._owners:
                return frozenset()
            found: set[str] = set()
            for _end, tags in iterate(raw.translate(_FOLD).decode("latin-1")):
                found |= tags
            return frozenset(found)

        self.scan = scan
        return True

    # -- Hyperscan on the raw bytes -------------------------------------------------------
    def _build_hyperscan(self) -> bool:
        try:
            import hyperscan
        except ImportError:  # pragma: no cover - platforms without a wheel
            return False
        lits = list(self._owners)
        if not lits:
            self.scan = lambda raw: frozenset()
            return True
        db = _hyperscan_database(hyperscan, tuple(lits))
        tags = [self._owners[lit] for lit in lits]

        def scan(raw: bytes) -> frozenset[str]:
            found: set[int] = set()
            db.scan(raw, match_event_handler=lambda i, *_: found.add(i))
            if not found:
                return frozenset()
            return frozenset().union(*(tags[i] for i in found))

        self.scan = scan
        return True


#: Compiled databases of this thread, by their literals: compiling takes ~7 ms, and a
#: partition worker starts a run (and a scanner) for every partition it checks. Per thread,
#: since a database scans with its own scratch space.
_COMPILED = threading.local()


def _hyperscan_database(hyperscan: Any, lits: tuple[bytes, ...]) -> Any:
    cache: dict[tuple[bytes, ...], Any] | None = getattr(_COMPILED, "databases", None)
    if cache is None:
        cache = _COMPILED.databases = {}
    db = cache.get(lits)
    if db is None:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        # Every match calls back (SINGLEMATCH would halve the calls on busy lines but doubles
        # the cost of the common line with none); ids are deduplicated before the union.
        db.compile(
            expressions=[_hs_pattern(lit) for lit in lits],
            ids=list(range(len(lits))),
            flags=[hyperscan.HS_FLAG_CASELESS] * len(lits),
        )
        if len(cache) >= 8:  # a long-lived process checking with many configurations
            cache.clear()
        cache[lits] = db
    return db


def _hs_pattern(lit: bytes) -> bytes:
    """A folded literal as a Hyperscan pattern: ``0`` is any digit, other bytes are literal."""
    out = bytearray()
    for byte in lit:
        if byte == 0x30:
            out += b"[0-9]"
        elif 0x30 < byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A:
            out.append(byte)
        else:
            out += b"\\x%02x" % byte
    return bytes(out)
