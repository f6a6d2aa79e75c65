"""``fineprep convert --to rft`` defaults and refusals: a table with ``prompt`` and
``reference_answer`` columns and a file already in RFT form convert without options, empty
prompts and reference answers are rejected as check would report them, and reasons name the
message (counted from 1) and the part type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fineprep.api import check, convert
from fineprep.cli.main import cli


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def _errors(path: Path) -> list[str]:
    result = check(path, model="nova-2-lite", format="rft", select=["S"], isolated=True)
    return [f"{f.code}: {f.message}" for f in result.findings]


def test_cli_defaults_read_prompt_and_reference_answer_columns(tmp_path: Path) -> None:
    src = tmp_path / "rft_table.csv"
    src.write_text("prompt,reference_answer\nWhat is 2+2?,4\nWhat is 17*23?,391\n", "utf-8")
    out = tmp_path / "out.jsonl"
    args = ["convert", str(src), "-o", str(out), "-m", "nova-2-lite", "--to", "rft"]
    result = CliRunner().invoke(cli, [*args, "--isolated", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert _lines(out) == [
        {"messages": [{"role": "user", "content": "What is 2+2?"}], "reference_answer": "4"},
        {"messages": [{"role": "user", "content": "What is 17*23?"}], "reference_answer": "391"},
    ]
    assert _errors(out) == []


def test_default_prompt_field_with_a_named_reference_and_a_system(tmp_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text("prompt,answer\nWhat is 2+2?,4\n", "utf-8")
    out = tmp_path / "out.jsonl"
    convert(src, output=out, to="rft", reference_answer="answer", system="Be exact.")
    assert _lines(out) == [
        {
            "messages": [
                {"role": "system", "content": "Be exact."},
                {"role": "user", "content": "What is 2+2?"},
            ],
            "reference_answer": "4",
        }
    ]


def test_records_already_in_rft_form_pass_through(tmp_path: Path) -> None:
    records = [
        {"messages": [{"role": "user", "content": "What is 2+2?"}], "reference_answer": "4",
         "difficulty": "easy"},
        {"messages": [{"role": "system", "content": "Reply in JSON."},
                      {"role": "user", "content": [{"type": "text", "text": "Total?"}]}],
         "reference_answer": {"total": 30}},
    ]  # fmt: skip
    out = tmp_path / "out.jsonl"
    result = convert(_jsonl(tmp_path / "in.jsonl", records), output=out, to="rft")
    assert (result.records, result.rejected) == (2, 0)
    assert _lines(out) == records
    assert _errors(out) == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"prompt": "", "reference_answer": "4"}, "the prompt is empty"),
        ({"prompt": "   ", "reference_answer": "4"}, "the prompt is empty"),
        ({"prompt": "q", "reference_answer": ""}, "reference_answer is empty"),
        ({"prompt": "q", "reference_answer": "   "}, "reference_answer is empty"),
        ({"prompt": "q"}, "no 'reference_answer' field"),
        ({"messages": [{"role": "user", "content": ""}], "reference_answer": "x"},
         "message 1 (user) is empty"),
        ({"messages": [{"role": "user", "content": "q"}], "reference_answer": []},
         "reference_answer is empty"),
        ({"messages": [{"role": "user", "content": "q"},
                       {"role": "assistant", "content": "a"}], "reference_answer": "a"},
         "message 2 is an assistant answer at the end"),
        ({"messages": [], "reference_answer": "a"}, "the 'messages' list is empty"),
        ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]},
         "message 1 (user) is empty"),
        ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "  "}]},
         "message 2 (assistant) is empty"),
        ({"schemaVersion": "bedrock-conversation-2024", "messages": [
            {"role": "user", "content": [{"text": ""}]},
            {"role": "assistant", "content": [{"text": "x"}]}]},
         "message 1 (user) is empty"),
        ({"title": "no prompt here"}, "no 'prompt' field and not a supervised record"),
    ],
)  # fmt: skip
def test_empty_prompts_and_answers_are_rejected(
    tmp_path: Path, record: dict[str, Any], reason: str
) -> None:
    good = {"messages": [{"role": "user", "content": "q"}], "reference_answer": "a"}
    out = tmp_path / "out.jsonl"
    result = convert(_jsonl(tmp_path / "in.jsonl", [good, record]), output=out, to="rft")
    reasons = [r["reason"] for r in _lines(tmp_path / "out.rejects.jsonl")]
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons
    assert result.records == 1
    assert _errors(out) == []


def test_csv_rows_with_empty_cells_are_rejected(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("prompt,reference_answer\nok,1\nEmpty ref,\n   ,5\n", "utf-8")
    out = tmp_path / "out.jsonl"
    result = convert(src, output=out, to="rft", model="nova-2-lite")
    assert (result.records, result.rejected) == (1, 2)
    reasons = [r["reason"] for r in _lines(tmp_path / "out.rejects.jsonl")]
    assert reasons[0].startswith("reference_answer is empty")
    assert reasons[1].startswith("the prompt is empty")


def test_developer_messages_are_system_prompts(tmp_path: Path) -> None:
    records = [
        {"messages": [{"role": "developer", "content": "Be terse."},
                      {"role": "user", "content": "hi"},
                      {"role": "assistant", "content": "hello"}]},
        {"messages": [{"role": "developer", "content": "Be terse."},
                      {"role": "user", "content": "hi"}], "reference_answer": "hello"},
    ]  # fmt: skip
    out = tmp_path / "out.jsonl"
    result = convert(_jsonl(tmp_path / "in.jsonl", records), output=out, to="rft")
    assert (result.records, result.rejected) == (2, 0)
    expected = {
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "hi"},
        ],
        "reference_answer": "hello",
    }
    assert _lines(out) == [expected, expected]
    assert _errors(out) == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "s3://b/a.png"}}]},
            {"role": "assistant", "content": "cat"}]},
         "message 1 has an 'image_url' part; RFT prompts are text only"),
        ({"schemaVersion": "bedrock-conversation-2024", "messages": [
            {"role": "user", "content": [{"image": {"format": "png", "source": {
                "s3Location": {"uri": "s3://b/a.png"}}}}, {"text": "q"}]},
            {"role": "assistant", "content": [{"text": "cat"}]}]},
         "message 1 has an 'image' part; RFT prompts are text only"),
        ({"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"},
                       {"role": "assistant", "content": "a"}]},
         "message 2 has role 'tool'"),
        ({"messages": [{"role": "user", "content": "hi"},
                       {"role": "developer", "content": "late"},
                       {"role": "assistant", "content": "a"}]},
         "message 2 is a developer message after the conversation started"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {
            "url": "s3://b/a.png"}}]}], "reference_answer": "cat"},
         "message 1 has an 'image_url' part; RFT prompts are text only"),
        ({"messages": [{"role": ["user"], "content": "q"}, {"role": "assistant", "content": "a"}]},
         "message 1 has role ['user']"),
        ({"messages": [{"role": ["user"], "content": "q"}], "reference_answer": "a"},
         "message 1 has role ['user']"),
        ({"messages": [{"role": "user", "content": [{"text": "q"}]}], "reference_answer": "a"},
         "message 1 has a text part that is not {'type': 'text', 'text': '...'}"),
    ],
)  # fmt: skip
def test_reasons_count_messages_from_one_and_name_parts(
    tmp_path: Path, record: dict[str, Any], reason: str
) -> None:
    good = {"messages": [{"role": "user", "content": "q"}], "reference_answer": "a"}
    convert(_jsonl(tmp_path / "in.jsonl", [good, record]), output=tmp_path / "o.jsonl", to="rft")
    reasons = [r["reason"] for r in _lines(tmp_path / "o.rejects.jsonl")]
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons
