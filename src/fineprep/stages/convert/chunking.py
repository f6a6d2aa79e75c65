"""Split long documents into continued pre-training records that fit the model.

A text of N UTF-8 bytes has at most N tokens in any byte-level tokenizer, so a document whose
byte length fits the budget is one record and is never tokenized. Longer ones are cut into
sentence units (each tokenized once) and packed greedily; a chunk prefers to end at a
paragraph break when one falls in its second half, so chunks read like passages rather than
arbitrary windows. A sentence longer than the budget is cut at spaces, and a single "word"
longer than the budget (a URL, base64) at a byte bound. Chunks are exact substrings of the
document, stripped of outer whitespace.

``overlap`` repeats up to that many tokens of whole sentences from the end of one chunk at
the start of the next (context across the cut). ``min_tokens`` keeps a trailing fragment from
becoming a record of its own: it is merged into the previous chunk when that fits, otherwise
sentences move from the previous chunk until the fragment is long enough.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fineprep.tokens.bounds import utf8_len
from fineprep.tokens.encoding import budget_counter

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])[\"'\u201d\u2019)\]]*\s+")
_SPACE = re.compile(r"\s+")
#: Share of a full chunk that must precede a paragraph break for the chunk to end there.
_PARAGRAPH_CUT = 0.5


@dataclass(frozen=True)
class ChunkPolicy:
    """The budget of one record: tokens (estimated with ``encoding``) and characters."""

    max_tokens: int
    max_chars: int | None = None
    overlap: int = 0
    min_tokens: int = 0
    encoding: str = "cl100k_base"


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    para_end: bool


class Chunker:
    """Splits texts under one policy; loads the tokenizer only for a text that needs it."""

    def __init__(self, policy: ChunkPolicy) -> None:
        self.policy = policy
        self._count: Callable[[str], int] | None = None

    def count(self, text: str) -> int:
        if self._count is None:
            self._count = budget_counter(self.policy.encoding)
        return self._count(text)

    def fits(self, text: str) -> bool:
        p = self.policy
        if p.max_chars is not None and len(text) > p.max_chars:
            return False
        return utf8_len(text) <= p.max_tokens or self.count(text) <= p.max_tokens

    def split(self, text: str) -> list[str]:
        """The chunks of ``text`` (one chunk, unchanged but stripped, when it fits)."""
        body = text.strip()
        if self.fits(body):
            return [body] if body else []
        units = self._units(text)
        spans = self._pack(text, units)
        return [c for c in (text[s:e].strip() for s, e in spans) if c]

    # -- units ------------------------------------------------------------------------------
    def _units(self, text: str) -> list[_Unit]:
        units: list[_Unit] = []
        for p_start, p_end in _pieces(text, _PARAGRAPH, 0, len(text)):
            sentences = _pieces(text, _SENTENCE, p_start, p_end)
            for i, (s, e) in enumerate(sentences):
                last = i == len(sentences) - 1
                self._add(text, s, e, last, units)
        return units

    def _add(self, text: str, start: int, end: int, para_end: bool, units: list[_Unit]) -> None:
        piece = text[start:end]
        p = self.policy
        if p.max_chars is None or len(piece) <= p.max_chars:
            tokens = self.count(piece)
            if tokens <= p.max_tokens:
                units.append(_Unit(start, end, tokens, para_end))
                return
        words = _pieces(text, _SPACE, start, end)
        if len(words) > 1:
            for i, (s, e) in enumerate(words):
                self._add(text, s, e, para_end and i == len(words) - 1, units)
            return
        limit = p.max_tokens if p.max_chars is None else min(p.max_tokens, p.max_chars)
        pos = start
        while pos < end:
            cut = _byte_cut(text, pos, end, limit)
            units.append(_Unit(pos, cut, self.count(text[pos:cut]), para_end and cut == end))
            pos = cut

    # -- packing ----------------------------------------------------------------------------
    def _pack(self, text: str, units: list[_Unit]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        i = 0
        done = 0  # units before this index are in some chunk already
        while i < len(units):
            j = self._fill(text, units, i)
            if j <= done:  # the overlap left no room for new text: start fresh
                i = done
                continue
            spans.append((units[i].start, units[j - 1].end))
            if j >= len(units):
                break
            done = j
            i = self._overlap_start(units, i, j)
        if self.policy.min_tokens and len(spans) > 1:
            self._rebalance(text, units, spans)
        return spans

    def _fill(self, text: str, units: list[_Unit], i: int) -> int:
        """The end (exclusive) of the chunk starting at unit ``i``."""
        p = self.policy
        j, used = i, 0
        while j < len(units) and used + units[j].tokens <= p.max_tokens:
            if p.max_chars is not None and units[j].end - units[i].start > p.max_chars:
                break
            used += units[j].tokens
            j += 1
        j = max(j, i + 1)  # every unit fits on its own (see _add)
        if j < len(units):
            j = _paragraph_cut(units, i, j, p.max_tokens)
        # Unit counts are summed; the joined text is counted once to be sure.
        while j > i + 1 and not self.fits(text[units[i].start : units[j - 1].end].strip()):
            j -= 1
        return j

    def _overlap_start(self, units: list[_Unit], i: int, j: int) -> int:
        k = j
        budget = self.policy.overlap
        while budget and k - 1 > i and units[k - 1].tokens <= budget:
            budget -= units[k - 1].tokens
            k -= 1
        return k

    def _rebalance(self, text: str, units: list[_Unit], spans: list[tuple[int, int]]) -> None:
        """Merge or grow a too-short last chunk (only the last one can be short)."""
        prev_s, _ = spans[-2]
        last_s, last_e = spans[-1]
        if self.count(text[last_s:last_e].strip()) >= self.policy.min_tokens:
            return
        if self.fits(text[prev_s:last_e].strip()):
            spans[-2:] = [(prev_s, last_e)]
            return
        for start in reversed([u.start for u in units if prev_s < u.start < last_s]):
            candidate = text[start:last_e].strip()
            if not self.fits(candidate):
                break
            spans[-2:] = [(prev_s, start), (start, last_e)]
            if self.count(candidate) >= self.policy.min_tokens:
                break


def _pieces(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` cut after each separator match (separators kept)."""
    out: list[tuple[int, int]] = []
    pos = start
    for m in pattern.finditer(text, start, end):
        if m.end() > pos and m.start() > pos:
            out.append((pos, m.end()))
            pos = m.end()
    if pos < end:
        out.append((pos, end))
    return out or [(start, end)]


def _byte_cut(text: str, start: int, end: int, limit: int) -> int:
    """The largest end <= ``end`` with ``text[start:cut]`` at most ``limit`` UTF-8 bytes."""
    size = 0
    pos = start
    while pos < end:
        size += utf8_len(text[pos])
        if size > limit:
            break
        pos += 1
    return max(pos, start + 1)


def _paragraph_cut(units: list[_Unit], i: int, j: int, budget: int) -> int:
    """End the chunk after the last paragraph break in its second half, if there is one."""
    used = sum(u.tokens for u in units[i:j])
    for k in range(j - 1, i, -1):
        used -= units[k].tokens
        if units[k - 1].para_end and used >= budget * _PARAGRAPH_CUT:
            return k
        if used < budget * _PARAGRAPH_CUT:
            break
    return j
