"""Record builders per target, media blocks, structured answers and mapping validation."""

from __future__ import annotations

from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.formats import FORMATS
from fineprep.stages.convert.mapping import build_mapping, chunk_policy, default_target
from fineprep.stages.convert.media import check_owner, media_block, split_uris
from fineprep.stages.convert.options import ConvertOptions
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.targets import Mapping, build_record, row_meta
from fineprep.stages.convert.templates import RowError


def _mapping(target: str, model: str | None = None, **options: Any) -> Mapping:
    profile = get_profile(model) if model else None
    return build_mapping(ConvertOptions(**options), target, profile)


def _valid(record: dict[str, Any], fmt: str, model: str) -> None:
    """The format validator of ``check`` finds nothing structural to report."""
    found: list[tuple[str, str]] = []
    FORMATS.get(fmt).analyze(record, get_profile(model), lambda c, p, m, d: found.append((c, m)))
    assert found == []


ROW = SourceRow({"q": "What is 2+2?", "a": "4", "sys": "Be brief.", "cls": "math"}, "t.csv:row 2")


def test_prompt_completion() -> None:
    record = build_record(_mapping("prompt-completion", prompt="q", completion="a"), ROW)
    assert record == {"prompt": "What is 2+2?", "completion": "4"}
    _valid(record, "prompt-completion", "titan-text-express")


def test_claude_messages_with_and_without_system() -> None:
    mapping = _mapping("claude-messages", prompt="q", completion="a", system="sys")
    record = build_record(mapping, ROW)
    assert list(record) == ["system", "messages"]
    assert record["messages"][1] == {"role": "assistant", "content": "4"}
    _valid(record, "claude-messages", "claude-3-haiku")
    blank = SourceRow({**ROW.fields, "sys": ""}, ROW.source)
    assert "system" not in build_record(mapping, blank)


def test_conversation_with_images_from_field_and_reader() -> None:
    mapping = _mapping(
        "conversation",
        "nova-lite",
        prompt="q",
        completion="a",
        system="sys",
        images="img",
        bucket_owner="111122223333",
    )
    row = SourceRow(
        {**ROW.fields, "img": ["s3://bkt/x/one.PNG", "s3://bkt/x/two.webp"]},
        ROW.source,
        images=("s3://bkt/x/page-1.jpg", "s3://bkt/x/one.PNG"),
    )
    record = build_record(mapping, row)
    assert list(record) == ["schemaVersion", "system", "messages"]
    user = record["messages"][0]["content"]
    assert [next(iter(b)) for b in user] == ["image", "image", "image", "text"]
    assert user[0]["image"]["format"] == "png"
    assert user[2]["image"]["source"]["s3Location"] == {
        "uri": "s3://bkt/x/page-1.jpg",
        "bucketOwner": "111122223333",
    }
    _valid(record, "conversation", "nova-lite")


def test_too_many_images_reject_the_row() -> None:
    mapping = _mapping("conversation", "nova-lite", prompt="q", completion="a", images="img")
    uris = " ".join(f"s3://bkt/p{i}.png" for i in range(11))
    with pytest.raises(RowError, match="11 images in one record; the model takes at most 10"):
        build_record(mapping, SourceRow({**ROW.fields, "img": uris}, "r"))


def test_media_helpers() -> None:
    assert split_uris("s3://bkt/a.png, s3://bkt/b.png|s3://bkt/c.png", None, "f") == [
        "s3://bkt/a.png",
        "s3://bkt/b.png",
        "s3://bkt/c.png",
    ]
    assert split_uris("s3://bkt/a.png::s3://bkt/b.png", "::", "f") == [
        "s3://bkt/a.png",
        "s3://bkt/b.png",
    ]
    assert split_uris(None, None, "f") == []
    with pytest.raises(RowError, match="holds int"):
        split_uris([1], None, "f")
    assert media_block("s3://bkt/clip.mp4", None) == {
        "video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://bkt/clip.mp4"}}}
    }
    with pytest.raises(RowError, match="does not take webp"):
        media_block("s3://bkt/a.webp", None, ("png", "jpeg", "gif"))
    with pytest.raises(RowError, match="unknown extension ''"):
        media_block("s3://bkt/noext", None)
    with pytest.raises(RowError, match="not an S3 URI Bedrock accepts"):
        media_block("s3://bkt/with space.png", None)
    with pytest.raises(ConfigError, match="12-digit"):
        check_owner("1234")


def test_completion_json() -> None:
    mapping = _mapping("prompt-completion", prompt="q", completion_json="ans")
    parsed = build_record(mapping, SourceRow({"q": "x", "ans": '{"b": 1, "a": 2}'}, "r"))
    native = build_record(mapping, SourceRow({"q": "x", "ans": {"a": 2, "b": 1}}, "r"))
    assert parsed["completion"] == native["completion"] == '{"a":2,"b":1}'
    with pytest.raises(RowError, match="field 'ans' is not valid JSON"):
        build_record(mapping, SourceRow({"q": "x", "ans": "{'a': 1}"}, "r"))
    with pytest.raises(RowError, match="is null"):
        build_record(mapping, SourceRow({"q": "x", "ans": None}, "r"))


def test_row_meta_types() -> None:
    mapping = _mapping("prompt-completion", label="tags", group="g", id="n")
    row = SourceRow({"tags": ["a", "b"], "g": 7, "n": {"k": 1}}, "r")
    assert row_meta(mapping, row) == ('{"k":1}', ["a", "b"], "7")
    with pytest.raises(RowError, match="undefined field 'tags'"):
        row_meta(mapping, SourceRow({"g": 1, "n": 1}, "r"))


@pytest.mark.parametrize(
    ("target", "model", "options", "message"),
    [
        ("prompt-completion", None, {"system": "s"}, "no system text"),
        ("claude-messages", None, {"images": "i"}, "cannot hold images"),
        ("pretraining", None, {"prompt": "p"}, "use --input"),
        ("conversation", None, {"input": "t"}, "pre-training text"),
        ("conversation", "nova-micro", {"images": "i"}, "takes no images"),
        ("conversation", "titan-text-express", {}, "does not take conversation records"),
        ("prompt-completion", None, {"completion": "a", "completion_json": "b"}, "not both"),
        ("prompt-completion", None, {"overlap": 5}, "--overlap applies to --to pretraining"),
        ("excel", None, {}, "unknown target format"),
    ],
)
def test_mapping_refuses(
    target: str, model: str | None, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _mapping(target, model, **options)


def test_default_target_follows_the_model() -> None:
    assert default_target(get_profile("nova-lite")) == "conversation"
    assert default_target(get_profile("claude-3-haiku")) == "claude-messages"
    assert default_target(get_profile("titan-text-express")) == "prompt-completion"
    with pytest.raises(ConfigError, match="give --to"):
        default_target(None)
    with pytest.raises(ConfigError, match="cannot write a format"):
        default_target(get_profile("nova-canvas"))


def test_pretraining_default_input_reads_document_text() -> None:
    mapping = _mapping("pretraining")
    assert build_record(mapping, SourceRow({"text": "plain"}, "r")) == {"input": "plain"}
    doc = SourceRow({"document": {"text": "from textract"}}, "r")
    assert build_record(mapping, doc) == {"input": "from textract"}
    with pytest.raises(RowError, match="undefined field 'text'"):
        build_record(mapping, SourceRow({"body": "x"}, "r"))


def test_chunk_policy() -> None:
    titan = get_profile("titan-text-express")
    policy = chunk_policy(ConvertOptions(), titan, Settings())
    assert (policy.max_tokens, policy.max_chars) == (3481, 24576)  # 85% of 4,096
    batch = Settings(hyperparameters={"batchSize": "4"})
    assert chunk_policy(ConvertOptions(), titan, batch).max_tokens == 1740  # 85% of 2,048
    assert chunk_policy(ConvertOptions(chunk_tokens=100), None, Settings()).max_tokens == 100
    with pytest.raises(ConfigError, match=r"over .*per-record limit of 4096"):
        chunk_policy(ConvertOptions(chunk_tokens=5000), titan, Settings())
    with pytest.raises(ConfigError, match="need a token budget"):
        chunk_policy(ConvertOptions(), None, Settings())
    with pytest.raises(ConfigError, match="at most half"):
        chunk_policy(ConvertOptions(chunk_tokens=100, overlap=60), None, Settings())
