"""Token limit verdicts decided from byte bounds (and counted in worker processes) equal the
verdicts of tokenizing every record; a file of short records never loads an encoding."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.api import check
from fineprep.tokens import bounds
from fineprep.tokens import encoding as tokens
from fineprep.tokens import workers as tokenpool
from fineprep.tokens.bounds import spaces_before_letters, tokens_at_least
from fineprep.tokens.encoding import load_encoding
from fineprep.tokens.source import TokenSource
from fineprep.tokens.workers import DeferredCounts, count_batch
from tests.conftest import ROOT, needs_tokenizer

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate

#: The packaged vocabulary: these tests need no cache and no network.
O200K = TokenSource("o200k_base", exact=True)
LIMITS = {"max_record_tokens": 400, "max_input_tokens": 330, "max_output_tokens": 70}
NEAR = 0.9


def _expected(path: Path, given: dict[str, int] = LIMITS) -> set[tuple[int, str, str]]:
    """(line, code, limit code) from tokenizing every text of every record with Llama 3's
    reference tokenizer (llama3-2-1b counts exactly)."""
    encode = load_encoding("llama3").encode_ordinary
    out: set[tuple[int, str, str]] = set()
    for line_no, raw in enumerate(path.read_bytes().splitlines(), 1):
        obj = orjson.loads(raw)
        tin = sum(len(encode(b["text"])) for b in obj.get("system", []))
        tout = 0
        for msg in obj["messages"]:
            n = sum(len(encode(b["text"])) for b in msg["content"] if "text" in b)
            if msg["role"] == "assistant":
                tout += n
            else:
                tin += n
        allowance = 5 * len(obj["messages"]) + 1  # Llama 3's chat template (per message, BOS)
        values = {"T001": tin + tout + allowance, "T002": tin + allowance, "T003": tout}
        limits = {
            "T001": given.get("max_record_tokens"),
            "T002": given.get("max_input_tokens"),
            "T003": given.get("max_output_tokens"),
        }
        for code, value in values.items():
            limit = limits[code]
            if limit is None:
                continue
            if value > limit:
                out.add((line_no, code, code))
            elif value >= limit * NEAR:
                out.add((line_no, "T004", code))
    return out


def _found(result: Any) -> set[tuple[int, str, str]]:
    return {
        (f.location.line, f.code, f.data.get("limit_code", f.code))
        for f in result.findings
        if f.code in ("T001", "T002", "T003", "T004")
    }


@needs_tokenizer
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_limit_verdicts_equal_full_tokenization(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    monkeypatch.setenv("FINEPREP_JOBS", jobs)
    monkeypatch.setattr(tokenpool, "BATCH_RECORDS", 7)  # many batches, saturated workers
    data = generate.write(tmp_path / "gen.jsonl", 400, "conversation", seed=11)
    result = check(data, model="llama3-2-1b", isolated=True, limits=LIMITS, exact_tokens=True)
    expected = _expected(data)
    assert len(expected) > 50  # the data exercises every verdict
    assert {code for _, code, _ in expected} == {"T001", "T002", "T003", "T004"}
    assert _found(result) == expected
    # Some verdicts were proven by the lower bound alone (reported as "at least").
    assert any(f.data.get("exact") is False for f in result.findings)
    # Only records whose byte bound could reach 90% of a limit were needed for the verdicts,
    # but --exact-tokens counts all of them, in the same order.
    assert result.stats["tokenized_records"] == 400
    stats = result.stats["tokens"][str(data)]
    assert stats["exact"] and stats["records"] == 400


@needs_tokenizer
def test_sampled_verdicts_tokenize_only_what_the_bound_cannot_decide(tmp_path: Path) -> None:
    data = generate.write(tmp_path / "gen.jsonl", 400, "conversation", seed=11)
    limits = {"max_record_tokens": 1400}
    result = check(data, model="llama3-2-1b", isolated=True, limits=limits)
    expected = _expected(data, limits)
    assert len(expected) >= 5
    assert _found(result) == expected
    assert 0 < result.stats["tokenized_records"] < 300


def _encoder(encoding: str) -> Any:
    """The reference ``encode`` of ``encoding`` (NFC first for Qwen, as its tokenizer does),
    or skip where it is not available offline."""
    try:
        encode = load_encoding(encoding).encode_ordinary
    except Exception:
        pytest.skip(f"{encoding} not available offline")
    if encoding == "qwen3":
        import unicodedata

        return lambda text: encode(unicodedata.normalize("NFC", text))
    return encode


_PARTS = [*"aZ é1.,:'’\n\r\t\u3000\x1c/-_", "  ", "\n\n", "’s", "'S", " the", "Refund:"]
_ODD_TEXT = st.lists(st.sampled_from(_PARTS), max_size=40).map("".join)


@needs_tokenizer
@settings(max_examples=400, deadline=None)
@given(
    st.one_of(_ODD_TEXT, st.text(max_size=60)), st.sampled_from(["o200k_base", "llama3", "qwen3"])
)
def test_piece_lower_bound_never_exceeds_the_count(text: str, encoding: str) -> None:
    encode = _encoder(encoding)
    assert tokens_at_least(text, encoding) <= len(encode(text))


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=80)
    | st.lists(st.sampled_from([b" ", b"a", b"Z", b"@", b"[", b"`", b"{", b"\xc1", b"\xe1"])).map(
        b"".join
    )
)
def test_spaces_before_letters_counts_every_space_then_ascii_letter(data: bytes) -> None:
    letters = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    want = sum(1 for i in range(len(data) - 1) if data[i] == 32 and data[i + 1] in letters)
    assert spaces_before_letters(data) == want
    assert bounds.by_translation(data) == want  # the way without numpy
    every_pair = b"".join(b" " + bytes([c]) for c in range(256))
    assert spaces_before_letters(every_pair) == 52  # A-Z and a-z only


def test_the_lower_bound_needs_no_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy is an extra: a core install proves the same records over a limit."""
    prose = generate._text(random.Random(3), 60_000)
    with_numpy = tokens_at_least(prose, "llama3")
    monkeypatch.setattr(bounds, "optional", lambda name: None)
    assert tokens_at_least(prose, "llama3") == with_numpy > 8_000


_SPACES = ["\x85", "\xa0", "\u2028", "\u3000", "\u180e", "\u200b", "\x1c", "\u0301"]
_CHUNK_TEXT = st.lists(
    st.sampled_from([*_PARTS, *_SPACES, " ", " ", "123456", "ÉTÉ", "日本語", "\ud800", "don't"]),
    max_size=60,
).map("".join)


@needs_tokenizer
@settings(max_examples=600, deadline=None)
@given(
    st.one_of(_CHUNK_TEXT, st.text(max_size=80)), st.sampled_from(["o200k_base", "llama3", "qwen3"])
)
def test_chunked_count_equals_encode_ordinary(text: str, encoding: str) -> None:
    encode = _encoder(encoding)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tokens, "_CHUNKED_MIN_CHARS", 0)  # short texts take the chunked path too
        assert tokens.text_counter(encoding)(text) == len(encode(text))


@needs_tokenizer
@pytest.mark.parametrize("encoding", ["o200k_base", "llama3", "qwen3"])
@pytest.mark.parametrize(
    "text",
    ["\n \n", "\u3000 \n\n \n\n", "a\t \tb", "x  y", "end.\n Next", "a \r\n b", " lead"],
)
def test_chunked_count_where_a_space_is_no_piece_start(
    text: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    encode = _encoder(encoding)
    monkeypatch.setattr(tokens, "_CHUNKED_MIN_CHARS", 0)
    assert tokens.text_counter(encoding)(text * 3) == len(encode(text * 3))


@needs_tokenizer
def test_chunked_count_equals_encode_ordinary_on_generated_data() -> None:
    encode = load_encoding("o200k_base").encode_ordinary
    count = tokens.text_counter("o200k_base")
    texts = [
        str(b["text"])
        for rec, _ in generate.records(300, "conversation", seed=5)
        for msg in rec["messages"]  # type: ignore[attr-defined]
        for b in msg["content"]
        if "text" in b
    ]
    long = [t for t in texts if len(t) >= 2000]
    assert len(long) > 50
    assert [count(t) for t in texts] == [len(encode(t)) for t in texts]


def test_piece_lower_bound_is_tight_on_prose_and_off_for_unknown_encodings() -> None:
    prose = "The customer asked for a refund of the invoice total. " * 100
    assert tokens_at_least(prose, "llama3") >= 900
    assert tokens_at_least(prose, "some_custom_encoding") == 0


def test_short_records_load_no_encoding(tmp_path: Path) -> None:
    """In a fresh process: no encoding, no worker, nothing tokenized."""
    data = tmp_path / "short.jsonl"
    with data.open("wb") as fh:
        for i in range(200):
            fh.write(orjson.dumps({"prompt": f"question {i}?", "completion": f"answer {i}"}))
            fh.write(b"\n")
    code = (
        "import sys\nfrom fineprep.api import check\n"
        "from fineprep.tokens import encoding as tokens\n"
        f"r = check({str(data)!r}, model='llama3-1-8b', isolated=True)\n"
        "assert r.stats['tokenized_records'] == 0, r.stats\n"
        "assert not tokens.encoding_loaded()\n"
        "assert 'tiktoken' not in sys.modules and 'fineprep.tokens.workers' not in sys.modules\n"
        "print('ok')\n"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "no-encodings-here")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@needs_tokenizer
def test_deferred_counts_match_inline_and_survive_a_failing_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [(["a b c " * i, "héllo"], ["x" * i]) for i in range(60)]
    inline = count_batch(O200K, texts)
    monkeypatch.setattr(tokenpool, "BATCH_RECORDS", 5)
    pooled = DeferredCounts(O200K, workers=2)
    tickets = [pooled.add(ins, outs, 1) for ins, outs in texts]
    get = pooled.finish()
    assert [get(t) for t in tickets] == inline

    class FailingPool:
        def submit(self, *args: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_exception(RuntimeError("worker died"))
            return future

        def shutdown(self, **kwargs: Any) -> None:
            pass

    broken = DeferredCounts(O200K, workers=2)
    broken._pool = FailingPool()  # type: ignore[assignment]
    tickets = [broken.add(ins, outs, 1) for ins, outs in texts]
    get = broken.finish()
    assert [get(t) for t in tickets] == inline


def test_jobs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINEPREP_JOBS", "1")
    assert tokenpool.jobs() == 1
    assert DeferredCounts(O200K).workers == 0
    monkeypatch.setattr(tokenpool.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    monkeypatch.setenv("FINEPREP_JOBS", "3")
    assert tokenpool.jobs() == 3
    monkeypatch.setenv("FINEPREP_JOBS", "300")  # no more counting processes than cores
    assert tokenpool.jobs() == 4


@needs_tokenizer
@pytest.mark.skipif(sys.platform != "linux", reason="fork-based workers")
def test_workers_leave_when_the_main_process_is_killed(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from fineprep.tokens.workers import DeferredCounts\n"
        "from fineprep.tokens.source import TokenSource\n"
        "d = DeferredCounts(TokenSource('o200k_base', exact=True), workers=2)\n"
        "d.add(['x ' * 10], [], 1 << 21)\n"  # one full batch: the pool starts
        "print(' '.join(str(p) for p in d._pool._processes), flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert workers
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in workers if Path(f"/proc/{p}").exists() and not _zombie(p)]
    for pid in alive:  # do not leave them behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their killed parent"


def _zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return True


def test_encoding_rank_cache_is_used_and_a_bad_one_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fineprep.tokens import vocab

    monkeypatch.setenv("FINEPREP_ENCODING_CACHE", str(tmp_path))
    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    reference = load_encoding("o200k_base").encode_ordinary("Refund: invoice 4711, thanks!")
    cached = list(tmp_path.glob("tiktoken-o200k_base-*.marshal"))
    assert len(cached) == 1

    def no_parsing(*args: Any) -> Any:
        raise AssertionError("the vocabulary was parsed although the rank table is cached")

    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    monkeypatch.setattr(tokens, "read_ranks", no_parsing)
    enc = load_encoding("o200k_base")
    assert enc.encode_ordinary("Refund: invoice 4711, thanks!") == reference

    cached[0].write_bytes(b"not a rank table")  # corrupt: a miss, then the file is parsed
    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    with pytest.raises(AssertionError, match="parsed"):
        load_encoding("o200k_base")
    monkeypatch.setattr(tokens, "read_ranks", vocab.read_ranks)
    assert load_encoding("o200k_base").encode_ordinary("Refund: invoice 4711, thanks!") == reference


def test_encoding_rank_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken

    monkeypatch.setenv("FINEPREP_ENCODING_CACHE", "off")
    assert tokens._rank_cache_path(tiktoken, "o200k_base", __file__) is None
