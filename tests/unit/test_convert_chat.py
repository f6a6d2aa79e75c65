"""Chat sources: OpenAI chat, ShareGPT and Alpaca files -> conversation, claude-messages and
prompt-completion records, with roles mapped, system prompts moved and tool turns handled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.stages.convert import chat_records
from fineprep.stages.convert.runner import convert
from fineprep.stages.convert.sources.alpaca import read_alpaca, sniff_alpaca
from fineprep.stages.convert.sources.base import SourceReject, SourceRow
from fineprep.stages.convert.sources.detect import kind_of
from fineprep.stages.convert.sources.openai_chat import read_openai_chat, sniff_openai
from fineprep.stages.convert.sources.sharegpt import read_sharegpt, sniff_sharegpt
from tests.conftest import FIXTURES

CHAT = FIXTURES / "convert" / "chat"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_kinds_are_detected_from_content() -> None:
    assert kind_of(str(CHAT / "toy_chat_fine_tuning.jsonl"), None) == "openai-chat"
    assert kind_of(str(CHAT / "glaive_toolcall_en_demo.json"), None) == "sharegpt"
    assert kind_of(str(CHAT / "alpaca_en_demo.json"), None) == "alpaca"
    # With a template that maps fields, a chat-shaped file is read as plain JSON Lines.
    assert kind_of(str(CHAT / "toy_chat_fine_tuning.jsonl"), None, chat=False) == "jsonl"
    assert sniff_openai([{"messages": [{"role": "user"}]}])
    assert not sniff_openai({"messages": []}) and not sniff_sharegpt({"conversations": "x"})
    assert sniff_alpaca({"instruction": "i", "output": "o"}) and not sniff_alpaca({"output": 1})


def test_openai_system_prompt_moves_to_the_top_and_turns_stay() -> None:
    items = list(read_openai_chat([str(CHAT / "toy_chat_fine_tuning.jsonl")], {}))
    one, multi, plain, no_user = items
    assert isinstance(one, SourceRow)
    chat = one.fields["chat"]
    assert chat["system"] == "You are a happy assistant that puts a positive spin on everything."
    assert [(m["role"], m["text"]) for m in chat["messages"]] == [
        ("user", "I fell off my bike today."),
        ("assistant", "It's great that you're getting exercise outdoors!"),
    ]
    assert isinstance(multi, SourceRow) and len(multi.fields["chat"]["messages"]) == 8
    assert isinstance(plain, SourceRow) and plain.fields["chat"]["system"] == ""
    assert isinstance(no_user, SourceReject)
    assert no_user.reason == (
        "message 2 is from the assistant before any user message; a record starts with the user"
    )
    assert no_user.source.endswith("toy_chat_fine_tuning.jsonl:line 4")


@pytest.mark.parametrize(
    ("record_id", "reason"),
    [
        ("weight-0", "message 2 has weight 0 (not to be learned)"),
        ("two-users", "messages 1 and 2 are both from the user; Bedrock records alternate"),
        ("late-system", "message 2 is a system message after the conversation started"),
        ("user-last", "the last message (3) is not the assistant's"),
        ("empty-answer", "message 2 (assistant) is empty"),
    ],
)
def test_openai_records_that_cannot_be_a_conversation(record_id: str, reason: str) -> None:
    items = list(read_openai_chat([str(CHAT / "openai_edge_cases.jsonl")], {}))
    rejects = {json.loads(i.raw)["id"]: i.reason for i in items if isinstance(i, SourceReject)}
    assert rejects[record_id].startswith(reason)


def test_openai_parts_images_tools_and_other_shapes() -> None:
    notices: list[str] = []
    items = list(read_openai_chat([str(CHAT / "openai_edge_cases.jsonl")], {"notices": notices}))
    rows = {i.fields["id"]: i.fields["chat"] for i in items if isinstance(i, SourceRow)}
    assert rows["image-1"]["system"] == "Describe images in one sentence."
    assert rows["image-1"]["messages"][0]["images"] == ["s3://fineprep-data/images/cat.png"]
    assert rows["image-1"]["messages"][0]["text"] == "What is in this picture?"
    call = rows["tools-1"]["messages"][1]["tool_calls"][0]
    assert call == {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
    assert rows["tools-1"]["messages"][2]["role"] == "tool"
    assert rows["tools-1"]["messages"][2]["tool_call_id"] == "call_1"
    assert rows["claude-shape"]["system"] == "You answer in French."
    assert rows["bedrock-shape"]["system"] == "You answer in German."
    assert rows["bedrock-shape"]["messages"][1]["text"] == "Guten Abend"
    assert notices == [
        f"{CHAT / 'openai_edge_cases.jsonl'}: 2 messages carry 'name', which Bedrock records "
        "have no place for; left out"
    ]


def test_sharegpt_roles_images_and_tool_calls() -> None:
    items = list(read_sharegpt([str(CHAT / "sharegpt_edge_cases.jsonl")], {}))
    images, guide, mismatch, narrator = items
    assert isinstance(images, SourceRow)
    turns = images.fields["chat"]["messages"]
    assert [t["images"] for t in turns] == [
        ["s3://fineprep-data/mllm/1.jpg"], [], ["s3://fineprep-data/mllm/1b.jpg"], []
    ]  # fmt: skip
    assert turns[2]["text"] == "What are they doing?"  # the placeholder is where the image goes
    assert (
        isinstance(guide, SourceRow) and guide.fields["chat"]["system"] == "You are a tour guide."
    )
    assert isinstance(mismatch, SourceReject)
    assert mismatch.reason == "1 <image> placeholders for 2 images"
    assert isinstance(narrator, SourceReject)
    assert narrator.reason.startswith("message 1 is from 'narrator'")
    glaive = list(read_sharegpt([str(CHAT / "glaive_toolcall_en_demo.json")], {}))
    tool = glaive[1]
    assert isinstance(tool, SourceRow)
    messages = tool.fields["chat"]["messages"]
    assert messages[1]["tool_calls"] == [
        {"id": "call_1", "name": "calculate_area",
         "arguments": {"shape": "rectangle", "dimensions": [5, 3]}}
    ]  # fmt: skip
    assert (messages[2]["role"], messages[2]["tool_call_id"]) == ("tool", "call_1")
    assert tool.fields["tools"].startswith('[{"name": "calculate_area"')  # kept for templates


def test_alpaca_prompt_history_and_refusals() -> None:
    demo = list(read_alpaca([str(CHAT / "alpaca_en_demo.json")], {}))
    assert all(isinstance(i, SourceRow) for i in demo)
    triangle = demo[2].fields["chat"]["messages"]
    assert triangle[0]["text"] == (
        "Given the parameters of a triangle, find out its perimeter.\nSide 1 = 4\nSide 2 = 6\n"
        "Side 3 = 8"
    )
    history, preference, empty = list(read_alpaca([str(CHAT / "alpaca_edge_cases.jsonl")], {}))
    assert isinstance(history, SourceRow)
    chat = history.fields["chat"]
    assert chat["system"] == "You are a translator."
    assert [m["text"] for m in chat["messages"]] == [
        "Translate to French: hello", "Bonjour", "Translate to French.\nThank you", "Merci"
    ]  # fmt: skip
    assert isinstance(preference, SourceReject) and "ranked preference data" in preference.reason
    assert isinstance(empty, SourceReject) and empty.reason == "no 'output' (the answer to learn)"


def _convert(tmp_path: Path, name: str, **options: Any) -> Any:
    return convert(CHAT / name, output=tmp_path / "o.jsonl", settings=Settings(), **options)


def test_multi_turn_conversation_records(tmp_path: Path) -> None:
    result = _convert(tmp_path, "toy_chat_fine_tuning.jsonl", model="nova-micro")
    assert (result.records, result.rejected, result.target) == (3, 1, "conversation")
    first, multi, plain = _lines(tmp_path / "o.jsonl")
    assert first == {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You are a happy assistant that puts a positive spin on everything."}],
        "messages": [
            {"role": "user", "content": [{"text": "I fell off my bike today."}]},
            {
                "role": "assistant",
                "content": [{"text": "It's great that you're getting exercise outdoors!"}],
            },
        ],
    }
    assert [m["role"] for m in multi["messages"]] == ["user", "assistant"] * 4
    assert "system" not in plain


def test_claude_messages_and_prompt_completion_targets(tmp_path: Path) -> None:
    result = _convert(tmp_path, "toy_chat_fine_tuning.jsonl", model="claude-3-haiku")
    first = _lines(tmp_path / "o.jsonl")[0]
    assert first["system"].startswith("You are a happy assistant")
    assert first["messages"][1] == {
        "role": "assistant",
        "content": "It's great that you're getting exercise outdoors!",
    }
    assert result.records == 3
    single = _convert(tmp_path, "toy_chat_fine_tuning.jsonl", to="prompt-completion")
    assert (single.records, single.rejected) == (1, 3)
    assert _lines(tmp_path / "o.jsonl") == [
        {
            "prompt": "I lost my book today.",
            "completion": "You can read everything on ebooks these days!",
        }
    ]
    reasons = [r["reason"] for r in _lines(tmp_path / "o.rejects.jsonl")]
    assert reasons[0] == "prompt/completion records have no system prompt (use --to conversation)"
    assert reasons[1].startswith("8 messages; prompt/completion records hold one question")


def test_system_option_fills_records_without_one(tmp_path: Path) -> None:
    _convert(tmp_path, "alpaca_en_demo.json", model="nova-micro", system="Answer helpfully.")
    assert all(r["system"] == [{"text": "Answer helpfully."}] for r in _lines(tmp_path / "o.jsonl"))
    _convert(tmp_path, "alpaca_edge_cases.jsonl", model="nova-micro", system="Ignored here.")
    assert _lines(tmp_path / "o.jsonl")[0]["system"] == [{"text": "You are a translator."}]


def test_images_need_s3_and_a_model_that_takes_them(tmp_path: Path) -> None:
    lite = _convert(
        tmp_path, "sharegpt_edge_cases.jsonl", model="nova-lite", bucket_owner="111122223333"
    )
    assert lite.records == 2
    first = _lines(tmp_path / "o.jsonl")[0]
    block = first["messages"][0]["content"][0]
    assert block == {
        "image": {
            "format": "jpeg",
            "source": {
                "s3Location": {
                    "uri": "s3://fineprep-data/mllm/1.jpg",
                    "bucketOwner": "111122223333",
                }
            },
        }
    }
    haiku = _convert(tmp_path, "sharegpt_edge_cases.jsonl", model="claude-3-haiku")
    reasons = [r["reason"] for r in _lines(tmp_path / "o.rejects.jsonl")]
    assert "Claude 3 Haiku messages cannot hold images (use --to conversation)" in reasons
    assert haiku.records == 1


def test_tool_turns_are_rejected_with_the_reason_check_gives(tmp_path: Path) -> None:
    result = _convert(tmp_path, "glaive_toolcall_en_demo.json", model="nova-lite")
    assert (result.records, result.rejected) == (1, 1)
    reason = _lines(tmp_path / "o.rejects.jsonl")[0]["reason"]
    assert reason == (
        "the record has tool turns (one calls 'calculate_area'); Amazon Nova Lite fine-tuning "
        "records cannot hold tool use (tool-use blocks are not supported in Bedrock fine-tuning)"
    )
    assert not chat_records.tools_allowed(get_profile("nova-lite"))


def test_tool_turns_map_to_tool_use_blocks_where_a_model_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(chat_records._VERDICTS, "nova-lite", (True, ""))
    result = _convert(tmp_path, "openai_edge_cases.jsonl", model="nova-lite")
    assert result.records == 5
    record = _lines(tmp_path / "o.jsonl")[0]
    assert record["system"] == [{"text": "You are a weather bot."}]
    assert record["messages"][1:4] == [
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "call_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": '{"temp_c": 18}'}]}}
            ],
        },
        {"role": "assistant", "content": [{"text": "It is 18 °C in Paris."}]},
    ]


def test_template_options_do_not_apply_to_chat_sources(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--prompt does not apply to chat sources"):
        _convert(
            tmp_path,
            "toy_chat_fine_tuning.jsonl",
            source="openai-chat",
            prompt="x",
            model="nova-micro",
        )
    with pytest.raises(ConfigError, match="not pre-training text"):
        _convert(tmp_path, "alpaca_en_demo.json", to="pretraining", chunk_tokens=100)
    with pytest.raises(ConfigError, match=r"chat files \(alpaca\) and other inputs \(csv\)"):
        convert(
            [CHAT / "alpaca_en_demo.json", FIXTURES / "convert" / "tabular" / "reviews.csv"],
            output=tmp_path / "o.jsonl",
            model="nova-micro",
            settings=Settings(),
        )
