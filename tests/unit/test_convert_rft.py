"""``fineprep convert --to rft``: table rows and supervised records become RFT prompts that
``fineprep check`` accepts, with reference answers and grader fields copied exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineprep.api import check, convert
from fineprep.core.errors import ConfigError


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_table_rows_to_rft_prompts(tmp_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text("question,answer,level\nWhat is 2+2?,4,easy\nWhat is 17*23?,391,hard\n")
    out = tmp_path / "rft.jsonl"
    result = convert(
        src, output=out, to="rft", model="gpt-oss-20b", prompt="Q: {{ question }}",
        system="Answer with a number.", reference_answer="answer",
        grader_fields=["difficulty=level"],
    )  # fmt: skip
    assert result.records == 2 and result.rejected == 0
    assert _lines(out)[1] == {
        "messages": [
            {"role": "system", "content": "Answer with a number."},
            {"role": "user", "content": "Q: What is 17*23?"},
        ],
        "reference_answer": "391",
        "difficulty": "hard",
    }
    assert check(out, model="gpt-oss-20b", select=["S", "C"]).findings == []


def test_supervised_records_to_rft_prompts(tmp_path: Path) -> None:
    src = tmp_path / "sft.jsonl"
    records = [
        {"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "Be exact."}],
         "messages": [{"role": "user", "content": [{"text": "2+2?"}]},
                      {"role": "assistant", "content": [{"text": "4"}]},
                      {"role": "user", "content": [{"text": "and 3+3?"}]},
                      {"role": "assistant", "content": [
                          {"reasoningContent": {"reasoningText": {"text": "3+3=6"}}},
                          {"text": "6"}]}]},
        {"prompt": "Classify: late parcel", "completion": "negative"},
        {"messages": [{"role": "user", "content": "hi"},
                      {"role": "assistant", "content": "hello"}]},
        {"schemaVersion": "bedrock-conversation-2024",
         "messages": [{"role": "user", "content": [{"text": "no answer yet"}]}]},
    ]  # fmt: skip
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "rft.jsonl"
    result = convert(src, output=out, to="rft", model="nova-2-lite")
    assert (result.records, result.rejected) == (3, 1)  # the last has no answer to keep
    first, second, third = _lines(out)
    assert first == {
        "messages": [
            {"role": "system", "content": "Be exact."},
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "and 3+3?"},
        ],
        "reference_answer": "6",
    }
    assert second == {
        "messages": [{"role": "user", "content": "Classify: late parcel"}],
        "reference_answer": "negative",
    }
    assert third["reference_answer"] == "hello"
    assert check(out, model="nova-2-lite", select=["S"]).findings == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"completion": "answer"}, "RFT prompts have no completion"),
        ({"images": "img"}, "text only"),
        ({"grader_fields": ["messages"]}, "not messages"),
    ],
)
def test_options_rft_cannot_use(tmp_path: Path, options: dict[str, object], message: str) -> None:
    src = tmp_path / "q.csv"
    src.write_text("prompt,answer\nq,a\n")
    with pytest.raises(ConfigError, match=message):
        convert(src, output=tmp_path / "o.jsonl", to="rft", **options)


def test_rft_options_need_the_rft_target(tmp_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text("prompt,completion\nq,a\n")
    with pytest.raises(ConfigError, match="are for --to rft"):
        convert(src, output=tmp_path / "o.jsonl", to="prompt-completion", reference_answer="x")


def test_a_record_without_a_user_turn_is_rejected_not_written(tmp_path: Path) -> None:
    src = tmp_path / "chat.jsonl"
    records = [
        {"messages": [{"role": "system", "content": "Be positive."},
                      {"role": "assistant", "content": "You're great!"}]},
        {"messages": [{"role": "user", "content": "hi"},
                      {"role": "assistant", "content": "hello"}]},
    ]  # fmt: skip
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "rft.jsonl"
    result = convert(src, output=out, to="rft", model="gpt-oss-20b")
    assert (result.records, result.rejected) == (1, 1)
    rejects = _lines(tmp_path / "rft.rejects.jsonl")
    assert "no user message" in str(rejects[0]["reason"])
    assert check(out, model="gpt-oss-20b", select=["S"]).findings == []
