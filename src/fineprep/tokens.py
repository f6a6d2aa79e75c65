"""Token counting with tiktoken, loaded only when a verdict needs it.

Loading an encoding takes 0.1-0.35 s and counting costs ~20x parsing, so nothing here runs at
import time. Counts use ``encode_ordinary`` (special-token text is counted as text, never
refused). For non-OpenAI models the counts are estimates; the byte bound used to skip counting
is exact for every byte-level tokenizer (a token is at least one byte).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from fineprep.errors import TokenizerUnavailable

_ENCODINGS: dict[str, Any] = {}


def utf8_len(text: str) -> int:
    """UTF-8 byte length without encoding ASCII text (``isascii`` is O(1) in CPython)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


#: Encodings whose pre-tokenizer starts a new piece at every space followed by a letter (their
#: patterns allow a space only as a piece's first character, before letters or punctuation).
_PIECE_BOUND_ENCODINGS = frozenset({"cl100k_base", "o200k_base"})
_LETTERS = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZbcdefghijklmnopqrstuvwxyz", b"a" * 51)


def tokens_at_least(text: str, encoding: str) -> int:
    """A lower bound on the tokens of ``text``, without tokenizing (~15x cheaper).

    Every space followed by an ASCII letter starts a pre-tokenizer piece, and every piece is at
    least one token; on English text the bound is ~0.83 of the count. It proves a record over a
    limit without counting it (a 150 KB document against a 16k-token limit). 0 for encodings
    whose pattern is not known to have this property.
    """
    if encoding not in _PIECE_BOUND_ENCODINGS:
        return 0
    return text.encode("utf-8", "surrogatepass").translate(_LETTERS).count(b" a")


def load_encoding(name: str) -> Any:
    """The tiktoken encoding ``name``, cached, or a :class:`TokenizerUnavailable` that says how
    to provide one (this machine may be offline)."""
    enc = _ENCODINGS.get(name)
    if enc is not None:
        return enc
    try:
        import tiktoken
    except ImportError:  # pragma: no cover - tiktoken is a dependency
        raise TokenizerUnavailable(
            "tiktoken is not installed", hint="pip install tiktoken"
        ) from None
    try:
        enc = tiktoken.get_encoding(name)
    except ValueError as exc:
        raise TokenizerUnavailable(
            f"unknown tiktoken encoding {name!r} ({exc})",
            hint="set `encoding` in config to cl100k_base or o200k_base",
        ) from None
    except Exception as exc:  # network errors from requests, blobfile, OSError...
        cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
        where = (
            f"TIKTOKEN_CACHE_DIR={cache} has no copy of it"
            if cache
            else ("TIKTOKEN_CACHE_DIR is not set")
        )
        raise TokenizerUnavailable(
            f"cannot load the tiktoken encoding {name!r}: {type(exc).__name__} (offline? {where})",
            hint="run once with network access, or copy a tiktoken cache folder to this machine "
            "and set TIKTOKEN_CACHE_DIR to it; or skip token checks with --ignore T",
        ) from None
    _ENCODINGS[name] = enc
    return enc


def encoding_loaded(name: str | None = None) -> bool:
    """Whether an encoding (any, or ``name``) was loaded in this process (used by tests)."""
    return bool(_ENCODINGS) if name is None else name in _ENCODINGS


class TokenCounter:
    """Counts tokens for one encoding, loading it on first use and counting records tokenized.

    ``count`` and ``count_parts`` count now, in this process; ``defer`` hands a record to the
    worker processes (fineprep.tokenpool) and ``resolve`` returns every deferred count at the
    end of the run, so tokenizing overlaps the checks instead of adding to them.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.records_tokenized = 0
        self._encode: Any = None
        self._longest: int | None = None
        self._deferred: Any = None

    def longest_token(self) -> int:
        """Bytes of the encoding's longest token: ``bytes / longest`` is a lower bound on the
        token count, which proves a huge record over a limit without tokenizing it."""
        if self._longest is None:
            enc = load_encoding(self.encoding)
            self._longest = max(len(b) for b in enc.token_byte_values())
        return self._longest

    def count(self, texts: list[str]) -> int:
        """Tokens of several texts of one record (counted as one tokenized record)."""
        return self.count_parts(texts, [])[0]

    def count_parts(self, inputs: list[str], outputs: list[str]) -> tuple[int, int]:
        """Input and output tokens of one record."""
        if self._encode is None:
            self._encode = load_encoding(self.encoding).encode_ordinary
        self.records_tokenized += 1
        encode = self._encode
        return sum(len(encode(t)) for t in inputs), sum(len(encode(t)) for t in outputs)

    def defer(self, inputs: list[str], outputs: list[str], size: int) -> int:
        """Queue a record's texts (``size`` bytes) for counting; returns its ticket."""
        if self._deferred is None:
            from fineprep.tokenpool import DeferredCounts

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
