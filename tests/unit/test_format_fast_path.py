"""The one-pass view of common conversation records equals the full walk's, finding-free."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.formats.base import View
from fineprep.formats.conversation import _plain_conversation, _Walk
from tests.conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate


def _walk(obj: dict[str, Any]) -> tuple[View, list[str]]:
    found: list[str] = []
    view = _Walk(None, lambda code, *_: found.append(code), distillation=False).record(obj)
    return view, found


def _same(fast: View, slow: View) -> None:
    assert fast.format == slow.format
    assert [(s.path, s.role, s.text, s.output) for s in fast.segments] == [
        (s.path, s.role, s.text, s.output) for s in slow.segments
    ]
    assert (fast.split, fast.n_messages, fast.structural_ok) == (
        slow.split,
        slow.n_messages,
        slow.structural_ok,
    )
    assert not fast.media and not slow.media


def _corpus(*keys: str) -> list[dict[str, Any]]:
    """Every JSON object with one of ``keys`` in the corpus and the fixtures."""
    out = []
    for path in sorted([*(ROOT / "tests" / "corpus").rglob("*.jsonl"), *FIXTURES.rglob("*.jsonl")]):
        for line in path.read_bytes().splitlines():
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict) and any(key in obj for key in keys):
                out.append(obj)
    return out


def _objects() -> list[dict[str, Any]]:
    out = _corpus("messages", "schemaVersion")
    out.extend(rec for rec, _ in generate.records(300, "conversation", seed=3))
    return out


def test_fast_view_equals_the_walk_on_every_corpus_record() -> None:
    objects = _objects()
    fast_count = 0
    for obj in objects:
        fast = _plain_conversation(obj)
        if fast is None:
            continue
        fast_count += 1
        slow, found = _walk(obj)
        assert found == [], (obj, found)
        _same(fast, slow)
    assert fast_count > 200  # the common shape is common
    assert fast_count < len(objects)  # and the odd ones take the walk


_text = st.one_of(st.text(max_size=5), st.integers(), st.none())
_block = st.one_of(
    st.fixed_dictionaries({"text": _text}),
    st.dictionaries(st.sampled_from(["text", "image", "type"]), _text, max_size=2),
)
_message = st.one_of(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", 3]),
            "content": st.one_of(st.lists(_block, max_size=3), _text),
        }
    ),
    st.dictionaries(st.sampled_from(["role", "content", "x"]), _text, max_size=3),
)
_record = st.fixed_dictionaries(
    {"messages": st.one_of(st.lists(_message, max_size=5), _text)},
    optional={
        "schemaVersion": st.sampled_from(["bedrock-conversation-2024", "v1"]),
        "system": st.one_of(st.lists(_block, max_size=2), _text),
        "toolConfig": st.just({}),
    },
)


@settings(max_examples=400, deadline=None)
@given(_record)
def test_fast_view_is_the_walk_or_declines(obj: dict[str, Any]) -> None:
    fast = _plain_conversation(obj)
    if fast is None:
        return
    slow, found = _walk(obj)
    assert found == []
    _same(fast, slow)


def test_prompt_completion_one_step_view_equals_the_walk() -> None:
    from fineprep.formats.simple import _PC_KEYS, _string_fields, analyze_prompt_completion

    objects = _corpus("prompt")
    assert len(objects) > 100
    for obj in objects:
        fast = analyze_prompt_completion(obj, None, lambda *_: None)
        slow = View("prompt-completion")
        fields = (("prompt", "prompt", False), ("completion", "completion", True))
        _string_fields(obj, slow, lambda *_: None, fields, _PC_KEYS, "a record")
        slow.split = 1 if slow.segments and not slow.segments[0].output else 0
        assert [(s.path, s.role, s.text, s.output) for s in fast.segments] == [
            (s.path, s.role, s.text, s.output) for s in slow.segments
        ]
        assert (fast.split, fast.structural_ok) == (slow.split, slow.structural_ok)
