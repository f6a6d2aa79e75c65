"""Verdicts on real third-party files (skipped when ../shared/realdata is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineprep.api import check
from tests.conftest import REALDATA, needs_realdata

pytestmark = needs_realdata
BEDROCK = REALDATA / "bedrock_jsonl"


def errors(result: object) -> list[tuple[int | None, str]]:
    return [
        (f.location.line, f.code)
        for f in result.findings  # type: ignore[attr-defined]
        if f.severity.value == "error"
    ]


def test_test_ft_for_claude_3_haiku_and_nova_lite() -> None:
    path = BEDROCK / "test_ft.jsonl"
    assert errors(check(path, model="claude-3-haiku", isolated=True)) == []
    nova = check(path, model="nova-lite", isolated=True)
    assert "S002" in {code for _, code in errors(nova)}


def test_toy_chat_system_role_inside_messages() -> None:
    path = REALDATA / "chat_jsonl_bad" / "toy_chat_fine_tuning.jsonl"
    expected = [
        n
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if '"role": "system"' in line or '"role":"system"' in line
    ]
    assert expected
    result = check(path, model="claude-3-haiku", isolated=True)
    lines = {line for line, code in errors(result) if code == "S001"}
    assert lines == set(expected)


def test_prompts_dataset_as_pretraining_for_titan_text_express() -> None:
    result = check(
        BEDROCK / "prompts_dataset.jsonl",
        model="titan-text-express",
        format="pretraining",
        isolated=True,
    )
    assert [f.code for f in result.findings if f.code.startswith("S")] == []


def test_uber10k_llama_3_1_8b_and_lowered_limit(tmp_path: Path) -> None:
    """Llama 3.1 counts with its own tokenizer: T001 at a lowered limit is exactly the set of
    records Meta's reference tokenizer puts over it."""
    import orjson

    meta = pytest.importorskip("llama_models.llama3.tokenizer").Tokenizer.get_instance()
    path = BEDROCK / "uber10K.jsonl"
    assert errors(check(path, model="llama3-1-8b", isolated=True)) == []
    config = tmp_path / "fineprep.toml"
    config.write_text('model = "llama3-1-8b"\n[limits]\nmax_record_tokens = 1000\n')
    result = check(path, config=config)
    want: dict[int, int] = {}
    for n, line in enumerate(path.read_bytes().splitlines(), 1):
        obj = orjson.loads(line)
        tokens = sum(
            len(meta.encode(obj[key], bos=False, eos=False)) for key in ("prompt", "completion")
        )
        if tokens > 1000:
            want[n] = tokens
    found = {f.location.line: f.data for f in result.findings if f.code == "T001"}
    assert want and set(found) == set(want)
    for line, data in found.items():
        assert data.get("token_source") == "exact"
        if "tokens" in data:  # counted
            assert data["tokens"] - data.get("template_tokens", 0) == want[line]
        else:  # proven over the limit by the lower bound, without counting
            assert 1000 < data["tokens_at_least"] <= want[line]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in BEDROCK.glob("*.jsonl")) if BEDROCK.is_dir() else []
)
def test_every_bedrock_sample_checks_without_tool_errors(name: str) -> None:
    result = check(BEDROCK / name, isolated=True)
    assert result.records > 0
