"""Pre-training chunking: every chunk fits, nothing is lost, boundaries are sensible."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.stages.convert.chunking import Chunker, ChunkPolicy
from tests.conftest import needs_tokenizer

pytestmark = needs_tokenizer

WORDS = ["alpha", "beta", "gamma", "délta", "epsilon", "Ωmega", "x" * 40, "S3://b/k", "日本語"]


def _doc(data: st.DrawFn) -> str:
    paragraphs = []
    for _ in range(data(st.integers(1, 8))):
        sentences = []
        for _ in range(data(st.integers(1, 6))):
            words = data(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
            sentences.append(" ".join(words) + data(st.sampled_from([".", "!", "?", ""])))
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(20, 120))
def test_chunks_fit_and_keep_every_word_in_order(data: st.DataObject, budget: int) -> None:
    text = _doc(data.draw)
    chunker = Chunker(ChunkPolicy(max_tokens=budget, max_chars=budget * 3))
    chunks = chunker.split(text)
    for chunk in chunks:
        assert chunker.count(chunk) <= budget
        assert len(chunk) <= budget * 3
        assert chunk == chunk.strip() and chunk in text
    # Without overlap the chunks are a partition of the text (cuts only at whitespace, or
    # inside a word longer than the budget).
    assert "".join("".join(_words(c)) for c in chunks) == "".join(_words(text))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_overlap_and_min_tokens_still_fit(data: st.DataObject) -> None:
    text = _doc(data.draw)
    policy = ChunkPolicy(max_tokens=80, overlap=20, min_tokens=30)
    chunker = Chunker(policy)
    chunks = chunker.split(text)
    assert all(chunker.count(c) <= 80 for c in chunks)
    # Every word of the document is in some chunk, in order: each chunk starts after the one
    # before it (overlap may repeat its end) and leaves no words out in between. A chunk's
    # text may occur earlier too ("alpha." ending two sentences): the first occurrence after
    # the previous chunk's start is taken, and the last chunk is the one at the text's end.
    previous, reached = -1, 0
    for n, chunk in enumerate(chunks):
        start = text.rfind(chunk) if n == len(chunks) - 1 else text.find(chunk, previous + 1)
        assert start > previous
        assert not text[reached:start].strip(), "words between two chunks were left out"
        previous, reached = start, max(reached, start + len(chunk))
    assert not text[reached:].strip()
    if len(chunks) > 1:
        assert chunker.count(chunks[-1]) >= 30 or not chunker.fits(
            text[text.find(chunks[-2]) :].strip()
        )


def test_short_text_is_not_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    chunker = Chunker(ChunkPolicy(max_tokens=50))

    def refuse(text: str) -> int:
        raise AssertionError("tokenized a text that fits by its byte length")

    monkeypatch.setattr(chunker, "count", refuse)
    assert chunker.split("  A short note, 30 bytes long.\n") == ["A short note, 30 bytes long."]
    assert chunker.split("   ") == []


def test_prefers_paragraph_boundaries() -> None:
    para = "One sentence here. " * 6
    text = "\n\n".join(f"P{i}. {para}" for i in range(6))
    chunker = Chunker(ChunkPolicy(max_tokens=70))
    chunks = chunker.split(text)
    assert len(chunks) > 1
    assert all(c.startswith("P") for c in chunks)


def test_overlap_repeats_the_last_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    chunks = Chunker(ChunkPolicy(max_tokens=60, overlap=15)).split(text)
    for before, after in itertools.pairwise(chunks):
        first_sentence = after.split(".")[0] + "."
        assert first_sentence in before


def test_a_short_tail_is_merged_or_grown() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(16))
    plain = Chunker(ChunkPolicy(max_tokens=60)).split(text)
    merged = Chunker(ChunkPolicy(max_tokens=60, min_tokens=25)).split(text)
    chunker = Chunker(ChunkPolicy(max_tokens=60))
    assert chunker.count(plain[-1]) < 25  # the fixture has a short tail...
    assert chunker.count(merged[-1]) >= 25  # ...which min_tokens fixes
    assert all(chunker.count(c) <= 60 for c in merged)


def test_a_word_longer_than_the_budget_is_cut_by_bytes() -> None:
    text = "start " + "é" * 200 + " end"
    chunker = Chunker(ChunkPolicy(max_tokens=30, max_chars=50))
    chunks = chunker.split(text)
    assert "".join(chunks).replace(" ", "") == text.replace(" ", "")
    assert all(len(c.encode()) <= 60 and len(c) <= 50 for c in chunks)
