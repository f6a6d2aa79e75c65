"""Bounds on a text's token count that decide most limit verdicts without tokenizing.

A token is at least one byte in every byte-level tokenizer, so UTF-8 bytes bound the count from
above; for the encodings whose pre-tokenizer starts a piece at every space before a letter, those
spaces bound it from below. Limit checks decide from the bounds first and count only what they
cannot decide.
"""

from __future__ import annotations


def utf8_len(text: str) -> int:
    """UTF-8 byte length without encoding ASCII text (``isascii`` is O(1) in CPython)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


#: Encodings whose pre-tokenizer starts a new piece at every space followed by a letter (their
#: patterns allow a space only as a piece's first character, before letters or punctuation).
PIECE_BOUND_ENCODINGS = frozenset({"cl100k_base", "o200k_base"})
_LETTERS = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZbcdefghijklmnopqrstuvwxyz", b"a" * 51)


def tokens_at_least(text: str, encoding: str) -> int:
    """A lower bound on the tokens of ``text``, without tokenizing (~15x cheaper).

    Every space followed by an ASCII letter starts a pre-tokenizer piece, and every piece is at
    least one token; on English text the bound is ~0.83 of the count. It proves a record over a
    limit without counting it (a 150 KB document against a 16k-token limit). 0 for encodings
    whose pattern is not known to have this property.
    """
    if encoding not in PIECE_BOUND_ENCODINGS:
        return 0
    return text.encode("utf-8", "surrogatepass").translate(_LETTERS).count(b" a")
