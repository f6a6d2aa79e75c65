"""Bedrock records from chat rows (the ``chat`` field of :mod:`.sources.chat`).

- ``conversation``: the system prompt as the one ``system`` item, every turn kept (multi-turn
  stays multi-turn), images as S3 image blocks before the user's text. A turn read as Bedrock
  content blocks (its ``blocks``) is written block for block as it came: several text blocks
  stay several, image and video blocks keep their format and bucket owner (``--bucket-owner``
  fills in one that is missing), and ``reasoningContent`` is written for a model that takes
  reasoning (Nova 2 Lite) and rejects the row, naming the block, for one that does not.
- ``claude-messages``: the same turns with string content (text blocks joined by a newline);
  images and reasoning cannot be written (Claude 3 Haiku fine-tuning records are text only).
- ``prompt-completion``: only a single user turn and its answer, without a system prompt.

Tool calls become Nova ``toolUse`` blocks in the assistant turn and their results ``toolResult``
blocks in the following user turn, but only for a model whose conversation records may hold
them. Which models those are is decided by the check itself (:func:`tools_allowed` asks the
conversation walker whether such a record draws a finding): today Bedrock fine-tuning takes
no tool blocks for any model (check reports them as S008), so a record with tool turns is
rejected with that reason rather than written as a record the job would refuse.
"""

from __future__ import annotations

from typing import Any

from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import SCHEMA_VERSION
from fineprep.stages.convert.local_media import LocalMedia
from fineprep.stages.convert.media import media_block
from fineprep.stages.convert.values import RowError

Message = dict[str, Any]
#: How images are written: (bucket owner, formats the model takes, most per record, allowed,
#: media prepared locally).
Media = tuple[str | None, tuple[str, ...], int | None, bool, LocalMedia | None]


_VERDICTS: dict[str | None, tuple[bool, str]] = {}


def _tools_allowed(profile: ModelProfile | None) -> tuple[bool, str]:
    """(allowed, the walker's reason when not), asked once per model."""
    key = profile.key if profile else None
    if key not in _VERDICTS:
        _VERDICTS[key] = _probe(profile)
    return _VERDICTS[key]


def _probe(profile: ModelProfile | None) -> tuple[bool, str]:
    from fineprep.formats.conversation import analyze_conversation

    probe = {
        "schemaVersion": SCHEMA_VERSION,
        "messages": [
            {"role": "user", "content": [{"text": "q"}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "t", "content": [{"text": "r"}]}}],
            },
            {"role": "assistant", "content": [{"text": "a"}]},
        ],
    }
    said: list[str] = []
    analyze_conversation(probe, profile, lambda code, path, message, data: said.append(message))
    return not said, said[0] if said else ""


def tools_allowed(profile: ModelProfile | None) -> bool:
    """Whether conversation records for ``profile`` may hold toolUse/toolResult blocks."""
    return _tools_allowed(profile)[0]


def chat_record(
    target: str,
    chat: dict[str, Any],
    system: str,
    media: Media,
    profile: ModelProfile | None,
) -> dict[str, Any]:
    """The record for one chat row (``media``: how its images are written)."""
    messages: list[Message] = chat["messages"]
    tools = [m for m in messages if m["tool_calls"] or m["role"] == "tool"]
    if tools:
        _refuse_tools(target, tools[0], profile)
    if target != "conversation":
        _refuse_reasoning(target, messages)
    if target == "prompt-completion":
        return _prompt_completion(messages, system)
    if target == "claude-messages":
        return _claude(messages, system)
    return _conversation(messages, system, media, profile)


def _refuse_tools(target: str, first: Message, profile: ModelProfile | None) -> None:
    if target == "conversation" and tools_allowed(profile):
        return
    name = first["tool_calls"][0]["name"] if first["tool_calls"] else "a tool"
    what = f"calls {name!r}" if first["tool_calls"] else "is a tool result"
    if target == "conversation":
        model = profile.name if profile else "Bedrock"
        why = f"{model} fine-tuning records cannot hold tool use ({_tools_allowed(profile)[1]})"
    else:
        why = f"{target} records have no place for tool use"
    raise RowError(f"the record has tool turns (one {what}); {why}")


def _number(messages: list[Message], m: Message) -> int:
    """The message's number in the source record (its place here when the reader kept none)."""
    where = m.get("where")
    return where if isinstance(where, int) and where else messages.index(m) + 1


def _refuse_reasoning(target: str, messages: list[Message]) -> None:
    for m in messages:
        if any("reasoningContent" in b for b in m.get("blocks") or ()):
            raise RowError(
                f"{target} records have no place for the reasoningContent block of message "
                f"{_number(messages, m)} (use --to conversation with a model that takes "
                "reasoning, e.g. Nova 2 Lite)"
            )


def _prompt_completion(messages: list[Message], system: str) -> dict[str, Any]:
    if len(messages) != 2:
        raise RowError(
            f"{len(messages)} messages; prompt/completion records hold one question and its "
            "answer (use --to conversation for multi-turn chats)"
        )
    if system.strip():
        raise RowError("prompt/completion records have no system prompt (use --to conversation)")
    if messages[0]["images"]:
        raise RowError("prompt/completion records cannot hold images (use --to conversation)")
    return {"prompt": messages[0]["text"], "completion": messages[1]["text"]}


def _claude(messages: list[Message], system: str) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system} if system.strip() else {}
    if any(m["images"] for m in messages):
        raise RowError("Claude 3 Haiku messages cannot hold images (use --to conversation)")
    out["messages"] = [{"role": m["role"], "content": m["text"]} for m in messages]
    return out


def _conversation(
    messages: list[Message], system: str, media: Media, profile: ModelProfile | None
) -> dict[str, Any]:
    owner, formats, max_images, allowed, local = media
    if not allowed:
        pictured = [m for m in messages if m["images"]]
        if pictured:
            raise RowError(
                f"message {messages.index(pictured[0]) + 1} has images, and the model takes no "
                "images (text only); convert for a model that takes images"
            )
    record: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION}
    if system.strip():
        record["system"] = [{"text": system}]
    out: list[Message] = []
    for m in messages:
        if m["role"] == "tool":
            block = {
                "toolResult": {"toolUseId": m["tool_call_id"], "content": [{"text": m["text"]}]}
            }
            if out and out[-1]["role"] == "user" and "toolResult" in out[-1]["content"][-1]:
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
            continue
        content: list[dict[str, Any]]
        if m.get("blocks") is not None:
            content = [_kept(b, _number(messages, m), media, profile) for b in m["blocks"]]
        else:
            content = [
                media_block(local.resolve(uri) if local else uri, owner, formats)
                for uri in m["images"]
            ]
            if m["text"].strip():
                content.append({"text": m["text"]})
        for call in m["tool_calls"]:
            content.append(
                {
                    "toolUse": {
                        "toolUseId": call["id"],
                        "name": call["name"],
                        "input": call["arguments"],
                    }
                }
            )
        out.append({"role": m["role"], "content": content})
    _media_limits(out, max_images, profile)
    record["messages"] = out
    return record


def _media_limits(out: list[Message], max_images: int | None, profile: ModelProfile | None) -> None:
    """The model's per-record media rules, as check applies them (S006)."""
    blocks = [b for m in out for b in m["content"]]
    images = sum(1 for b in blocks if "image" in b)
    videos = sum(1 for b in blocks if "video" in b)
    if max_images is not None and images > max_images:
        raise RowError(f"{images} images in one record; the model takes at most {max_images}")
    if profile is None:
        return
    limit = profile.max_videos_per_record
    if limit is not None and videos > limit:
        raise RowError(f"{videos} videos in one record; {profile.name} takes at most {limit}")
    if images and videos and not profile.media_mixing:
        raise RowError(
            f"{images} images and {videos} videos in one record; {profile.name} takes one kind "
            "of media per record (and per dataset): convert them separately"
        )


def _kept(
    block: dict[str, Any], n: int, media: Media, profile: ModelProfile | None
) -> dict[str, Any]:
    """A Bedrock block of the source, as it is where the model takes it (see the docstring)."""
    if "reasoningContent" in block:
        if profile is not None and not profile.reasoning:
            raise RowError(
                f"message {n} has a reasoningContent block, which {profile.name} does not take "
                "(only models with reasoning do, e.g. Nova 2 Lite): convert for such a model, "
                "or remove the reasoning"
            )
        return block
    kind = "image" if "image" in block else "video" if "video" in block else ""
    if not kind:
        return block
    owner, formats, _, _, local = media
    value = block[kind]
    fmt = value["format"]
    if profile is not None and fmt not in formats:
        raise RowError(f"message {n}: {profile.name} does not take {fmt} {kind}s")
    location = dict(value["source"]["s3Location"])
    given = location.get("bucketOwner")
    if owner and given is not None and given != owner:
        raise RowError(
            f"message {n}: the {kind} block's bucketOwner {given} is not --bucket-owner {owner}"
        )
    uri = local.resolve(location["uri"]) if local else location["uri"]
    if uri == location["uri"] and (given is not None or not owner):
        return block
    location["uri"] = uri
    if owner:
        location["bucketOwner"] = owner
    return {kind: {**value, "source": {"s3Location": location}}}
