"""Media URIs name objects (S006): a bucket or a folder is refused, every key Bedrock's pattern
takes is not; and reasoning on image and video records of Nova 2 Lite is accepted, as the AWS
examples show it."""

from __future__ import annotations

from typing import Any

import pytest

from fineprep.core.profiles import get_profile
from fineprep.formats.base import View
from fineprep.formats.conversation import analyze_conversation
from fineprep.formats.media import check_uri, names_object


def _codes(uri: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    check_uri(uri, ("uri",), lambda code, path, msg, data: found.append((code, msg)), View("x"))
    return found


@pytest.mark.parametrize(
    "uri",
    ["s3://bucket-a", "s3://bucket-a/", "s3://bucket-a/images/", "s3://bucket-a/a/b/c/"],
)
def test_a_bucket_or_a_folder_is_not_media(uri: str) -> None:
    (found,) = _codes(uri)
    assert found[0] == "S006"
    assert "not a file" in found[1]
    assert not names_object(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket-a/x",
        "s3://bucket-a/no-extension",
        "s3://bucket-a/.hidden",
        "s3://bucket-a/img/it's(1)!*.png",
        "s3://bucket-a/a.b/c-d_e/IMG_01.JPEG",
        "s3://my.bucket.name/x.y.",
        "s3://bucket-a/images/.",
    ],
)
def test_every_object_key_the_pattern_takes_is_accepted(uri: str) -> None:
    assert _codes(uri) == []
    assert names_object(uri)


def test_a_malformed_uri_gets_one_finding() -> None:
    """A URI the pattern refuses is reported for that alone, even when it ends in '/'."""
    (found,) = _codes("s3://bucket-a/my folder/")
    assert found[0] == "S006" and "characters Bedrock rejects" in found[1]


def _reasoning_record(kind: str, uri: str, fmt: str) -> dict[str, Any]:
    media = {kind: {"format": fmt, "source": {"s3Location": {"uri": uri}}}}
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": [media, {"text": "What is shown?"}]},
            {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "look first"}}},
                    {"text": "A map"},
                ],
            },
        ],
    }


@pytest.mark.parametrize(
    ("kind", "uri", "fmt"),
    [("image", "s3://my-bucket/a.jpg", "jpeg"), ("video", "s3://my-bucket/a.mp4", "mp4")],
)
def test_text_reasoning_on_media_records_is_nova_2_data(kind: str, uri: str, fmt: str) -> None:
    """The Bedrock Nova 2 SFT page's "Image + text" and "Video + text" examples carry
    reasoningContent; what it does not support is reasoning that is itself not text."""
    found: list[str] = []
    view = analyze_conversation(
        _reasoning_record(kind, uri, fmt),
        get_profile("nova-2-lite"),
        lambda code, *_: found.append(code),
    )
    assert found == []
    assert [m.kind for m in view.media] == [kind]
    assert any(s.role == "reasoning" for s in view.segments)
