"""The typed decoders (``formats.fast``) change how fast a record is read, never what is said.

Three ways: every check case run with the decoders from a file's second record on gives its
expected findings; every JSONL file of the corpus and the fixtures (and generated benchmark
data) renders the same JSON report with and without them; and on generated and mutated lines a
decoder either declines or returns the walk's own view of a record the walk passes silently.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fineprep.stages.check.records as records
from fineprep.core import jsonexact
from fineprep.core.config import load_settings
from fineprep.core.model import RecordMeta
from fineprep.formats import FORMATS, base, fast
from fineprep.formats.base import View
from fineprep.report import render
from fineprep.stages.check.engine import check_files
from tests.conftest import FIXTURES, ROOT
from tests.test_cases import CASES, Case, run_case


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The decoders from the second record of a file on, counting the records they take."""
    taken: Counter[str] = Counter()
    monkeypatch.setattr(records, "FAST_AFTER", 1)
    for spec in FORMATS.values():
        if not spec.fast:
            continue
        decode = spec.fast_decode
        assert decode is not None

        def counted(raw: bytes, _decode: Callable[[bytes], View | None] = decode) -> View | None:
            view = _decode(raw)
            if view is not None:
                taken[view.format] += 1
            return view

        monkeypatch.setitem(base._LOADED, spec.fast, counted)
    return taken


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_case_gives_its_findings_with_the_decoders(
    case: Case, tmp_path: Path, decoded: Counter[str]
) -> None:
    assert run_case(case, tmp_path) == sorted(case.expect)


def _jsonl_files() -> list[Path]:
    found = [*(ROOT / "tests" / "corpus").rglob("*.jsonl"), *FIXTURES.rglob("*.jsonl")]
    return sorted(p for p in found if not p.name.endswith(".meta.jsonl"))


def _report(paths: list[Path], model: str, fast_on: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(records, "FAST_DECODE", fast_on)
    s = load_settings(isolated=True, overrides={"model": model})
    s.stats = True
    return render(check_files([str(p) for p in paths], s), "json", color=False)


def test_corpus_reports_are_the_same_with_and_without_the_decoders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decoded: Counter[str]
) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    files = _jsonl_files()
    for fmt in ("conversation", "prompt-completion"):
        path = tmp_path / f"generated-{fmt}.jsonl"
        meta = tmp_path / f"generated-{fmt}.meta.jsonl"
        with path.open("wb") as out, meta.open("wb") as side:
            for rec, extra in generate.records(400, fmt, seed=5):
                out.write(orjson.dumps(rec) + b"\n")
                side.write(orjson.dumps(extra) + b"\n")
        files.append(path)
    assert len(files) > 500
    for model in ("nova-lite", "llama3-1-8b"):  # one run over every file, each way
        with_them = json.loads(_report(files, model, True, monkeypatch))
        without = json.loads(_report(files, model, False, monkeypatch))
        assert len(with_them["findings"]) > 1000
        assert with_them == without, model
    # The decoders took the common records, and not only a few.
    assert decoded["conversation"] > 500 and decoded["prompt-completion"] > 500, decoded


# Lines a decoder must decline or read exactly as the walk does.

accepted: Counter[str] = Counter()

_text = st.one_of(st.text(max_size=4), st.integers(), st.none(), st.just(12345678901234567890123))
_block = st.one_of(
    st.fixed_dictionaries({"text": _text}),
    st.dictionaries(st.sampled_from(["text", "image", "type"]), _text, max_size=2),
)
_message = st.one_of(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system"]),
            "content": st.one_of(st.lists(_block, max_size=3), _text),
        }
    ),
    st.dictionaries(st.sampled_from(["role", "content", "x"]), _text, max_size=3),
)
_conversation = st.fixed_dictionaries(
    {"messages": st.lists(_message, max_size=5)},
    optional={
        "schemaVersion": st.sampled_from(["bedrock-conversation-2024", "v1"]),
        "system": st.one_of(st.lists(_block, max_size=2), _text),
        "x": st.just(1),
    },
)
_texts = st.lists(st.fixed_dictionaries({"text": st.text(max_size=6)}), min_size=1, max_size=2)
_valid_conversation = st.builds(
    lambda system, turns: {
        "schemaVersion": "bedrock-conversation-2024",
        **({"system": system} if system is not None else {}),
        "messages": [
            {"role": role, "content": content}
            for pair in turns
            for role, content in zip(("user", "assistant"), pair, strict=True)
        ],
    },
    st.one_of(
        st.none(), st.lists(st.fixed_dictionaries({"text": st.text(max_size=4)}), max_size=1)
    ),
    st.lists(st.tuples(_texts, _texts), min_size=1, max_size=3),
)
_valid_pc = st.fixed_dictionaries(
    {"prompt": st.text(max_size=6), "completion": st.text(max_size=6)}
)
_valid_pt = st.fixed_dictionaries({"input": st.text(max_size=6)})
_flat = st.dictionaries(st.sampled_from(["prompt", "completion", "input", "label"]), _text)
_noise = st.sampled_from(
    [b"", b" ", b"\t", b"\x0c", b"\xc2\xa0", b",", b"}", b"\xff", b"\\ud800", b"\x00", b"x"]
)


def _walk(fmt: str, raw: bytes) -> tuple[View, list[str]] | None:
    try:
        obj = jsonexact.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    found: list[str] = []
    view = FORMATS.get(fmt).analyze(obj, None, lambda code, *_: found.append(code))
    return view, found


def _as_tuple(view: View) -> tuple[Any, ...]:
    segments = [(s.path, s.role, s.text, s.output) for s in view.segments]
    return (view.format, segments, view.split, view.n_messages, view.answer_from, view.others)


@settings(max_examples=600, deadline=None)
@given(
    case=st.one_of(
        st.tuples(st.just("conversation"), _valid_conversation),
        st.tuples(st.just("prompt-completion"), _valid_pc),
        st.tuples(st.just("pretraining"), _valid_pt),
        st.tuples(
            st.sampled_from(sorted(name for name, spec in FORMATS.items() if spec.fast)),
            st.one_of(_conversation, _flat, _valid_conversation, _valid_pc, _valid_pt),
        ),
    ),
    cut=st.integers(0, 200),
    noise=st.one_of(st.just(b""), st.just(b""), _noise),
)
def _declines_or_reads_as_the_walk(
    case: tuple[str, dict[str, Any]], cut: int, noise: bytes
) -> None:
    fmt, record = case
    raw = json.dumps(record, ensure_ascii=cut % 2 == 0).encode("utf-8", "surrogatepass")
    raw = raw[:cut] + noise + raw[cut:] if noise else raw
    decode = FORMATS.get(fmt).fast_decode
    assert decode is not None
    view = decode(raw)
    if view is None:
        return
    accepted[fmt] += 1
    walked = _walk(fmt, raw)
    assert walked is not None, raw  # never accepts a line the parser refuses
    slow, found = walked
    assert found == [] and slow.structural_ok, (raw, found)
    assert _as_tuple(view) == _as_tuple(slow)


def test_a_decoder_declines_or_reads_as_the_walk() -> None:
    accepted.clear()
    _declines_or_reads_as_the_walk()
    # The valid shapes are decoded, not only declined.
    assert all(accepted[f] >= 15 for f in ("conversation", "prompt-completion", "pretraining"))


def test_the_common_records_are_decoded() -> None:
    conv = FORMATS.get("conversation").example.encode()
    assert fast.conversation(conv) is not None
    assert fast.prompt_completion(b'{"prompt": "a", "completion": "b"}') is not None
    assert fast.pretraining(b'{"input": "a"}') is not None
    assert fast.prompt_completion(b'{"prompt": "a", "completion": 1}') is None
    assert fast.prompt_completion(b'{"prompt": "a", "completion": "b", "x": 1}') is None


@given(
    st.dictionaries(
        st.sampled_from(["id", "label", "group", "source", "augmented_from"]),
        st.one_of(st.text(max_size=3), st.none(), st.integers(), st.lists(st.text(), max_size=2)),
    )
)
def test_a_sidecar_line_is_read_as_from_dict_reads_it(obj: dict[str, Any]) -> None:
    raw = json.dumps(obj).encode()
    meta = fast.sidecar(raw)
    if meta is not None:
        assert meta == RecordMeta.from_dict(obj)
