"""Tokenizers as data: exact counts equal the reference tokenizers, the bounds hold per
vocabulary, estimates are labelled and fail a record only when a bound proves it, the chat
template allowance matches Meta's chat format, and CountTokens is asked only for undecided
records (botocore's Stubber)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.api import check
from fineprep.core.profiles import get_profile
from fineprep.tokens import estimate
from fineprep.tokens.bounds import tokens_at_least, upper_bytes
from fineprep.tokens.catalogue import catalogue, exact_tokenizer_for
from fineprep.tokens.encoding import load_encoding, text_counter
from fineprep.tokens.estimate import CJK, CODE, LATIN, count_range, script_of
from fineprep.tokens.source import TokenSource, profile_source, run_source
from fineprep.tokens.verdict import judge
from tests.conftest import ROOT, needs_tokenizer

#: Generated text per script: Latin, CJK, Cyrillic, Arabic, emoji, code, and the characters
#: whose NFC form is longer than they are (U+0958, U+FB2C, U+1D160).
SCRIPTS = {
    "latin": st.text(alphabet="abcdefghijklmnopqrstuvwxyzÀéü ,.'\n", max_size=80),
    "cjk": st.text(alphabet="日本語中文字的一是不了人我在有他这韓國어한국の。、 ", max_size=60),
    "cyrillic": st.text(alphabet="абвгдежзийклмнопрстуфхцчшщыэюя ,.", max_size=60),
    "arabic": st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي ،.", max_size=60),
    "emoji": st.text(alphabet="😀🎉👍🏽‍♀️🇫🇷 a", max_size=40),
    "code": st.text(
        alphabet="def f(x):\n    return {'a': [1, 2]}; x = y + 1 # 0x1F\t", max_size=80
    ),
    "nfc": st.text(alphabet="\u0958\ufb2c\U0001d160e\u0301 a", max_size=30),
}
ALL_TEXT = st.one_of(*SCRIPTS.values(), st.text(max_size=60))


@functools.cache
def _reference(name: str) -> Any:
    """The reference tokenizer's ``encode``: Meta's own Tokenizer class for Llama 3 (from
    llama-models), tiktoken's registry for o200k (when its cache has it), Hugging Face's BPE
    built from Qwen's merges for Qwen (NFC and the Split pattern of its tokenizer.json)."""
    if name == "llama3":
        tokenizer = pytest.importorskip("llama_models.llama3.tokenizer")
        meta = tokenizer.Tokenizer.get_instance()
        return lambda text: meta.encode(text, bos=False, eos=False)
    if name == "o200k_base":
        import tiktoken

        try:
            enc = tiktoken.get_encoding("o200k_base")
        except Exception:
            pytest.skip("tiktoken's o200k_base is not cached here")
        return enc.encode_ordinary
    if name == "qwen3":
        return _hf_qwen()
    raise AssertionError(name)


def _hf_qwen() -> Any:
    tk = pytest.importorskip("tokenizers")
    enc = load_encoding("qwen3")
    ranks = enc._mergeable_ranks
    byte_map = _bytes_to_unicode()

    def piece(b: bytes) -> str:
        return "".join(byte_map[x] for x in b)

    vocab = {piece(tok): rank for tok, rank in ranks.items()}
    merges = []
    for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(tok) < 2:
            continue
        left, right = _bpe(ranks, tok, rank)  # the last merge that makes ``tok``
        merges.append((piece(left), piece(right)))
    model = tk.models.BPE(vocab=vocab, merges=merges, ignore_merges=False)
    hf = tk.Tokenizer(model)
    hf.normalizer = tk.normalizers.NFC()
    pattern = catalogue()["qwen3"].pattern
    hf.pre_tokenizer = tk.pre_tokenizers.Sequence(
        [
            tk.pre_tokenizers.Split(tk.Regex(pattern), behavior="isolated"),
            tk.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    return lambda text: hf.encode(text, add_special_tokens=False).ids


def _bpe(ranks: dict[bytes, int], token: bytes, max_rank: int) -> list[bytes]:
    parts = [bytes([b]) for b in token]
    while True:
        best = None
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < max_rank and (best is None or rank < best[0]):
                best = (rank, i)
        if best is None:
            return parts
        i = best[1]
        parts[i : i + 2] = [parts[i] + parts[i + 1]]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-to-character map, which byte-level BPE tokenizer.json files use."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = list(keep)
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(keep, chars, strict=True)}


@needs_tokenizer
@settings(max_examples=250, deadline=None)
@given(ALL_TEXT, st.sampled_from(["llama3", "qwen3", "o200k_base"]))
def test_exact_counts_equal_the_reference_tokenizer(text: str, name: str) -> None:
    if name == "qwen3" and any(0xD800 <= ord(c) < 0xE000 for c in text):
        return  # lone surrogates cannot reach a Hugging Face tokenizer (not UTF-8)
    if name == "llama3" and any(0xD800 <= ord(c) < 0xE000 for c in text):
        return  # Meta's Tokenizer raises on lone surrogates; fineprep counts tiktoken's repair
    reference = _reference(name)
    assert text_counter(name)(text) == len(reference(text))
    assert text_counter(name)(text * 40) == len(reference(text * 40))  # the chunked path


@needs_tokenizer
@settings(max_examples=300, deadline=None)
@given(ALL_TEXT, st.sampled_from(["llama3", "qwen3", "o200k_base"]))
def test_bounds_hold_per_vocabulary(text: str, name: str) -> None:
    count = text_counter(name)(text)
    nfc = bool(catalogue()[name].normalize)
    assert tokens_at_least(text, name) <= count <= upper_bytes(text, nfc)
    raw = len(orjson.dumps(text))
    assert count <= raw * (3 if nfc and not orjson.dumps(text).isascii() else 1)


def test_nfc_can_make_text_longer_so_the_qwen_bound_normalizes() -> None:
    music = "\U0001d160" * 10  # 4 bytes each; NFC: three code points, 12 bytes
    assert len(unicodedata.normalize("NFC", music).encode()) == 3 * len(music.encode())
    assert upper_bytes(music, nfc=True) == 120
    assert text_counter("qwen3")(music) > len(music.encode())


@needs_tokenizer
def test_llama3_template_allowance_matches_metas_chat_format() -> None:
    chat = pytest.importorskip("llama_models.llama3.chat_format")
    datatypes = pytest.importorskip("llama_models.datatypes")
    tokenizer = pytest.importorskip("llama_models.llama3.tokenizer").Tokenizer.get_instance()
    fmt = chat.ChatFormat(tokenizer)
    turns = [
        ("system", "You answer billing questions."),
        ("user", "Where is invoice 4711?"),
        ("assistant", "It was sent on 3 May."),
        ("user", "¿Y la factura 4712? 请确认。"),
        ("assistant", "Also sent."),
    ]
    messages = [
        datatypes.RawMessage(role=role, content=text, stop_reason=datatypes.StopReason.end_of_turn)
        if role == "assistant"
        else datatypes.RawMessage(role=role, content=text)
        for role, text in turns
    ]
    tokens = fmt.encode_dialog_prompt(messages, tool_prompt_format=None).tokens
    # encode_dialog_prompt ends with the header of the next assistant turn: not in a record.
    rendered = len(tokens) - len(fmt._encode_header("assistant"))
    profile = get_profile("llama3-2-1b")
    count = text_counter("llama3")
    ours = sum(count(text) for _, text in turns)
    ours += profile.template_tokens_per_message * len(turns) + profile.template_tokens_per_record
    assert ours == rendered
    spec = catalogue()["llama3"]
    assert (spec.chat_tokens_per_message, spec.chat_tokens_per_record) == (5, 1)


def test_qwen_chatml_allowance() -> None:
    """<|im_start|>role\\n ... <|im_end|>\\n: the role and the two newlines are one token
    each in Qwen's vocabulary, the two markers are special tokens."""
    enc = load_encoding("qwen3")
    for role in ("system", "user", "assistant"):
        assert len(enc.encode_ordinary(role)) == 1
    assert len(enc.encode_ordinary("\n")) == 1
    assert catalogue()["qwen3"].chat_tokens_per_message == 2 + 1 + 1 + 1


def test_every_profile_names_its_token_source() -> None:
    from fineprep.core.profiles import all_profiles

    for key, profile in all_profiles().items():
        source = profile_source(profile)
        assert source.tokenizer in catalogue(), key
        if profile.family in ("llama",):
            assert source.exact, key
        if profile.family in ("nova", "nova-2", "claude", "titan-text", "cohere"):
            assert not source.exact and profile.sources.get("token_scale"), key


def test_catalogue_names_exact_tokenizers_by_model_id() -> None:
    assert exact_tokenizer_for("openai.gpt-oss-20b") == "o200k_harmony"
    assert exact_tokenizer_for("qwen.qwen3-32b") == "qwen3"
    assert exact_tokenizer_for("meta.llama3-3-70b-instruct-v1:0:128k") == "llama3"
    assert exact_tokenizer_for("amazon.nova-lite-v1:0:300k") is None
    # A profile that declares no token source (e.g. one added without token fields) is exact
    # when the catalogue knows its model.
    import dataclasses

    bare = dataclasses.replace(
        get_profile("nova-micro"), base_model_id="openai.gpt-oss-20b", token_source="",
        encoding="cl100k_base",
    )  # fmt: skip
    assert profile_source(bare) == TokenSource("o200k_harmony", exact=True)


def test_script_classification() -> None:
    assert script_of("The invoice was paid.") == LATIN
    assert script_of("请确认发票已经支付。") == CJK
    assert script_of("def f(x): return {'a': [x]}") == CODE
    assert script_of("Привет, как дела?") == LATIN  # alphabetic scripts share the Latin band


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"{}[]();=<>", "a", " ", "é", "请", "\ud800", "\U0001d160", "word "]),
        max_size=60,
    ).map("".join)
    | st.text(max_size=40)
)
def test_script_classification_is_the_share_of_its_characters(text: str) -> None:
    """Code punctuation is counted on the bytes; the verdict is that of counting characters."""
    n = len(text)
    cjk = sum(1 for c in text if estimate._CJK.match(c))
    code = sum(1 for c in text if c in "{}[]();=<>")
    want = (
        LATIN if not n else CJK if cjk and cjk >= 0.2 * n else CODE if code >= 0.05 * n else LATIN
    )
    assert script_of(text) == want


def test_estimates_scale_per_script_with_a_band() -> None:
    source = profile_source(get_profile("claude-3-haiku"))
    count = text_counter("o200k_base")
    english = "The refund was issued to the customer on Monday."
    est, low, high = count_range(count, source, [english])
    proxy = count(english)
    assert est == round(proxy * 1.16) and low < est < high
    exact = TokenSource("o200k_base", exact=True)
    assert count_range(count, exact, [english]) == (proxy, proxy, proxy)


def test_an_estimate_fails_a_record_only_when_its_floor_is_over() -> None:
    label = "estimate"
    assert judge("T001", (35_000, 25_000, 45_000), 32_000, label, {})[0] == "T006"  # type: ignore[index]
    over = judge("T001", (50_000, 33_000, 60_000), 32_000, label, {})
    assert over is not None and over[0] == "T001" and over[2]["exact"] is False
    near = judge("T001", (30_000, 24_000, 36_000), 32_000, label, {})
    assert near is not None and near[0] == "T004"
    assert judge("T001", (20_000, 15_000, 25_000), 32_000, label, {}) is None
    exact = judge("T001", (32_001, 32_001, 32_001), 32_000, "exact (llama3)", {})
    assert exact is not None and exact[0] == "T001" and exact[2]["exact"] is True


def _conversation(text: str, answer: str = "Noted.") -> bytes:
    return orjson.dumps(
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "user", "content": [{"text": text}]},
                {"role": "assistant", "content": [{"text": answer}]},
            ],
        }
    )


def test_chinese_nova_record_over_the_estimate_is_a_warning_not_an_error(tmp_path: Path) -> None:
    count = text_counter("o200k_base")
    unit = "请确认这张发票已经支付，并告诉我付款日期。"
    text = unit * (33_000 // count(unit) + 1)
    path = tmp_path / "zh.jsonl"
    path.write_bytes(_conversation(text) + b"\n")
    result = check(str(path), model="nova-lite", isolated=True, select=["T"])
    codes = {f.code for f in result.findings}
    assert "T001" not in codes and "T006" in codes
    finding = next(f for f in result.findings if f.code == "T006")
    assert finding.data["token_source"] == "estimate" and finding.data["exact"] is False
    assert "estimate" in finding.message and "o200k_base" in finding.message


@needs_tokenizer
def test_a_llama_cjk_prompt_under_the_limit_passes(tmp_path: Path) -> None:
    """The reported case: ~14,600 Llama 3 tokens of Chinese against 16,000 is no error."""
    count = text_counter("llama3")
    unit = "请确认这张发票已经支付，并告诉我付款日期。"
    prompt = unit * (14_600 // count(unit))
    path = tmp_path / "zh.jsonl"
    path.write_bytes(orjson.dumps({"prompt": prompt, "completion": "好的。"}) + b"\n")
    result = check(str(path), model="llama3-1-8b", isolated=True, select=["T001", "T002"])
    assert [f.code for f in result.findings] == []


def test_missing_vocabulary_falls_back_to_a_labelled_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fineprep.tokens import vocab

    real = vocab.locate

    def no_llama(spec: Any, tokenizer_file: str | None = None) -> Any:
        return None if spec.name == "llama3" else real(spec, tokenizer_file)

    monkeypatch.setattr(vocab, "locate", no_llama)
    path = tmp_path / "long.jsonl"
    path.write_bytes(orjson.dumps({"prompt": "word " * 15_500, "completion": "ok"}) + b"\n")
    result = check(str(path), model="llama3-1-8b", isolated=True, select=["T"])
    assert result.findings, "a near-limit record is reported"
    assert all(f.data.get("token_source") == "estimate" for f in result.findings)
    assert all(f.data.get("missing_tokenizer") == "llama3" for f in result.findings)
    assert "llama3 vocabulary not found" in result.stats["token_source"]


def test_tokenizer_file_and_unknown_names() -> None:
    from fineprep.core.errors import ConfigError

    llama = get_profile("llama3-1-8b")
    assert run_source(llama, tokenizer="bedrock").remote == "meta.llama3-1-8b-instruct-v1:0"
    assert run_source(llama, tokenizer="o200k_base").exact is False
    with pytest.raises(ConfigError, match="unknown tokenizer"):
        run_source(llama, tokenizer="gpt2")
    assert run_source(llama, tokenizer_file="x.json").file == "x.json"


def test_bedrock_counts_only_undecided_records_batched_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import ANY, Stubber

    monkeypatch.setenv("FINEPREP_COUNT_CACHE", str(tmp_path / "counts.tsv"))
    client = boto3.client(
        "bedrock-runtime", region_name="us-west-2", aws_access_key_id="x",
        aws_secret_access_key="y",
    )  # fmt: skip
    long = "The customer asks about invoice 4711 and the refund policy. " * 500
    path = tmp_path / "claude.jsonl"

    made: list[Any] = []

    def fake_client(service: str, opts: Any, region: str | None = None) -> Any:
        assert (service, region) == ("bedrock-runtime", "us-west-2")
        made.append(service)
        return client

    monkeypatch.setattr("fineprep.io.aws.make_client", fake_client)
    stub = Stubber(client)
    for i in range(3):
        stub.add_response(
            "count_tokens",
            {"inputTokens": 40_000 + i},
            {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "input": {"converse": ANY}},
        )
    # Claude's Bedrock records use the claude-messages format.
    records = [
        orjson.dumps(
            {
                "messages": [
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": "Noted."},
                ]
            }
        )
        for text in ["short question?", *(long + str(i) for i in range(3))]
    ]
    path.write_bytes(b"\n".join(records) + b"\n")
    with stub:
        result = check(
            str(path), model="claude-3-haiku", isolated=True, select=["T"], tokenizer="bedrock"
        )
    stub.assert_no_pending_responses()
    t001 = [f for f in result.findings if f.code == "T001"]
    assert sorted(f.location.line for f in t001) == [2, 3, 4]  # the short record was never sent
    assert all(f.data["exact"] and f.data["counted"] == "bedrock" for f in t001)
    assert result.stats["remote_token_counts"]["records"] == 3
    from fineprep.report import render

    assert "3 counted by Bedrock (CountTokens)" in render(result, "text").splitlines()[-1]
    report = orjson.loads(render(result, "json"))
    assert report["summary"]["tokens"]["remote"]["records"] == 3
    from fineprep.core.schemas import first_schema_error

    assert first_schema_error("report", report) is None
    # A re-run asks nothing: every answer is in the cache by content hash.
    made.clear()
    again = check(
        str(path), model="claude-3-haiku", isolated=True, select=["T"], tokenizer="bedrock"
    )
    assert not made and {f.location.line for f in again.findings if f.code == "T001"} == {2, 3, 4}


def test_bedrock_refusal_keeps_the_estimate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber

    monkeypatch.setenv("FINEPREP_COUNT_CACHE", "off")
    client = boto3.client(
        "bedrock-runtime", region_name="us-west-2", aws_access_key_id="x",
        aws_secret_access_key="y",
    )  # fmt: skip
    monkeypatch.setattr("fineprep.io.aws.make_client", lambda *a, **k: client)
    stub = Stubber(client)
    stub.add_client_error(
        "count_tokens", "ValidationException", "The provided model doesn't support counting tokens."
    )
    text = "The customer asks about invoice 4711 and the refund policy. " * 2600
    path = tmp_path / "c.jsonl"
    path.write_bytes(
        orjson.dumps({"messages": [{"role": "user", "content": text},
                                   {"role": "assistant", "content": "Noted."}]}) + b"\n"
    )  # fmt: skip
    with stub:
        result = check(
            str(path), model="claude-3-haiku", isolated=True, select=["T"], tokenizer="bedrock"
        )
    assert result.findings and all(f.data["token_source"] == "estimate" for f in result.findings)
    assert "doesn't support counting tokens" in result.stats["remote_token_counts"]["note"]


@pytest.mark.slow
def test_demo_runs_offline_with_an_empty_home(tmp_path: Path) -> None:
    """No network, no tiktoken cache, no Hugging Face cache, a fresh home: the demo runs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TIKTOKEN", "DATA_GYM", "HF_", "HUGGINGFACE", "XDG_", "FINEPREP_"))
    }
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT / "src"), FINEPREP_OFFLINE_DEMO="1")
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "Demo outputs are in" in out.stdout
