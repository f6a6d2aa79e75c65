"""Bedrock conversation records read by the openai-chat reader: image, video and
reasoningContent blocks and several text blocks pass through unchanged where the target holds
them, and every block a target cannot hold is rejected with its own name and what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.api import check
from fineprep.core.config import Settings
from fineprep.stages.convert.runner import convert

SCHEMA = "bedrock-conversation-2024"
IMAGE = {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/a.png"}}}}
VIDEO = {
    "video": {
        "format": "mp4",
        "source": {
            "s3Location": {
                "uri": "s3://fineprep-data/videos/clip-0001.mp4",
                "bucketOwner": "111122223333",
            }
        },
    }
}
REASONING = {"reasoningContent": {"reasoningText": {"text": "17 * 20 = 340, 17 * 3 = 51."}}}


def _record(user: list[dict[str, Any]], assistant: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA,
        "system": [{"text": "Answer briefly."}],
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ],
    }


def _run(tmp_path: Path, records: list[dict[str, Any]], **options: Any) -> Any:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return convert(src, output=tmp_path / "out.jsonl", settings=Settings(), **options)


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _reasons(tmp_path: Path) -> list[str]:
    return [r["reason"] for r in _lines(tmp_path / "out.rejects.jsonl")]


def _errors(path: Path, model: str) -> list[str]:
    result = check(path, model=model, select=["S", "L003"], isolated=True)
    return [f"{f.code}: {f.message}" for f in result.findings]


@pytest.mark.parametrize(
    ("model", "record"),
    [
        ("nova-lite", _record([{"text": "What is it?"}, IMAGE], [{"text": "A cat."}])),
        ("nova-lite", _record([VIDEO, {"text": "Summarize the clip."}], [{"text": "A forklift."}])),
        ("nova-2-lite", _record([{"text": "17 * 23?"}], [REASONING, {"text": "391"}])),
        ("nova-micro", _record([{"text": "a"}, {"text": "b"}], [{"text": "c."}])),
    ],
    ids=["image", "video", "reasoning", "text-blocks"],
)
def test_valid_bedrock_records_pass_through_unchanged(
    tmp_path: Path, model: str, record: dict[str, Any]
) -> None:
    result = _run(tmp_path, [record], model=model)
    assert _reasons(tmp_path) == []
    assert (result.records, result.rejected) == (1, 0)
    assert _lines(tmp_path / "out.jsonl") == [record]
    assert _errors(tmp_path / "out.jsonl", model) == []


def test_bucket_owner_is_added_to_media_blocks_without_one(tmp_path: Path) -> None:
    records = [_record([IMAGE, {"text": "q"}], [{"text": "a."}]),
               _record([VIDEO, {"text": "q"}], [{"text": "a."}])]  # fmt: skip
    _run(tmp_path, records, model="nova-lite", bucket_owner="111122223333")
    block = _lines(tmp_path / "out.jsonl")[0]["messages"][0]["content"][0]
    assert block["image"]["source"]["s3Location"] == {
        "uri": "s3://bucket/a.png",
        "bucketOwner": "111122223333",
    }
    _run(tmp_path, records, model="nova-lite", bucket_owner="444455556666")
    assert _reasons(tmp_path) == [
        "message 1: the video block's bucketOwner 111122223333 is not --bucket-owner 444455556666"
    ]


@pytest.mark.parametrize(
    ("model", "record", "reason"),
    [
        ("nova-lite", _record([{"text": "17 * 23?"}], [REASONING, {"text": "391"}]),
         "message 2 has a reasoningContent block, which Amazon Nova Lite does not take"),
        ("nova-lite", _record([IMAGE, VIDEO, {"text": "q"}], [{"text": "a."}]),
         "1 images and 1 videos in one record; Amazon Nova Lite takes one kind of media"),
        ("nova-lite", _record([VIDEO, VIDEO, {"text": "q"}], [{"text": "a."}]),
         "2 videos in one record; Amazon Nova Lite takes at most 1"),
        ("nova-2-lite", _record([REASONING, {"text": "q"}], [{"text": "a."}]),
         "message 1 has a reasoningContent block: it belongs in assistant turns"),
        ("nova-2-lite", _record([{"text": "q"}], [{"text": "a."}, REASONING]),
         "message 2: a reasoningContent block must be followed by a text block"),
        ("claude-3-haiku", _record([{"text": "17 * 23?"}], [REASONING, {"text": "391"}]),
         "claude-messages records have no place for the reasoningContent block of message 2"),
        ("nova-micro", _record([IMAGE, {"text": "q"}], [{"text": "a."}]),
         "message 1 has images, and the model takes no images"),
        ("nova-lite", _record([{"text": "q"}], [{"text": "a."}, IMAGE]),
         "message 2 has an image block; images and videos are allowed in user messages only"),
        ("nova-lite", _record([{"document": {"format": "pdf", "name": "d", "source": {
            "s3Location": {"uri": "s3://bucket/d.pdf"}}}}, {"text": "q"}], [{"text": "a."}]),
         "message 1 has a document block"),
        ("nova-lite", _record([{"image": {"format": "png", "source": {"bytes": "iVBO"}}},
                                     {"text": "q"}], [{"text": "a."}]),
         "message 1: the image block holds inline bytes; Bedrock reads media from S3 only"),
        ("nova-2-lite", _record([{"image": {"format": "webp", "source": {"s3Location": {
            "uri": "s3://bucket/a.webp"}}}}, {"text": "q"}], [{"text": "a."}]),
         "message 1: Amazon Nova 2 Lite does not take webp images"),
        ("nova-lite", _record([{"text": "q"}, {"cachePoint": {"type": "default"}}],
                                    [{"text": "a."}]),
         "message 1 has a cachePoint block, which Bedrock records cannot hold"),
        ("llama3-1-8b", _record([IMAGE, {"text": "q"}], [{"text": "a."}]),
         "prompt/completion records cannot hold images"),
        ("llama3-1-8b", _record([{"text": "q"}], [REASONING, {"text": "a."}]),
         "prompt-completion records have no place for the reasoningContent block of message 2"),
    ],
    ids=["model-without-reasoning", "mixed-media", "two-videos", "user-reasoning",
         "reasoning-last", "claude", "text-only", "assistant-image", "document", "bytes",
         "format", "unknown-block", "prompt-completion", "prompt-completion-reasoning"],
)  # fmt: skip
def test_blocks_a_target_cannot_hold_are_rejected_by_name(
    tmp_path: Path, model: str, record: dict[str, Any], reason: str
) -> None:
    good = _record([{"text": "q"}], [{"text": "a."}])
    if model.startswith("llama3-1"):  # prompt/completion records hold no system prompt
        record, good = ({k: v for k, v in r.items() if k != "system"} for r in (record, good))
    result = _run(tmp_path, [record, good], model=model)
    reasons = _reasons(tmp_path)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons
    assert "None" not in reasons[0]
    assert result.records == 1


def test_text_blocks_are_joined_only_where_content_is_a_string(tmp_path: Path) -> None:
    _run(tmp_path, [_record([{"text": "a"}, {"text": "b"}], [{"text": "c."}])],
         model="claude-3-haiku")  # fmt: skip
    assert _lines(tmp_path / "out.jsonl")[0]["messages"][0] == {"role": "user", "content": "a\nb"}


def test_openai_text_parts_are_still_joined(tmp_path: Path) -> None:
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": t} for t in ("a", "b")]},
            {"role": "assistant", "content": "c."},
        ]
    }  # fmt: skip
    _run(tmp_path, [record], model="nova-micro")
    assert _lines(tmp_path / "out.jsonl")[0]["messages"][0]["content"] == [{"text": "a\nb"}]


def test_empty_text_parts_make_no_blank_lines(tmp_path: Path) -> None:
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": t} for t in ("", "real", "")]},
            {"role": "assistant", "content": "ok."},
        ]
    }  # fmt: skip
    bedrock = _record([{"text": ""}, {"text": "real"}], [{"text": "ok."}])
    _run(tmp_path, [record, bedrock], model="nova-micro")
    first, second = _lines(tmp_path / "out.jsonl")
    assert first["messages"][0]["content"] == [{"text": "real"}]
    assert second["messages"][0]["content"] == [{"text": "real"}]
    assert _errors(tmp_path / "out.jsonl", "nova-micro") == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"messages": []}, "the 'messages' list is empty"),
        ({"messages": "hi"}, "'messages' is str, not a list of messages"),
        ({"id": 3}, "no 'messages' list"),
        (
            {
                "messages": [
                    {"role": ["user"], "content": "q"},
                    {"role": "assistant", "content": "a"},
                ]
            },
            "message 1 has role ['user']",
        ),
    ],
)
def test_messages_that_are_missing_or_empty_say_which(
    tmp_path: Path, record: dict[str, Any], reason: str
) -> None:
    good = _record([{"text": "q"}], [{"text": "a."}])
    _run(tmp_path, [good, record], model="nova-micro", source="openai-chat")
    reasons = _reasons(tmp_path)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons
