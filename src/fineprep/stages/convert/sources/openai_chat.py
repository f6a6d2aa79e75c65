"""OpenAI chat fine-tuning records (the ``openai-chat`` source kind).

``{"messages": [{"role": "system" | "developer" | "user" | "assistant" | "tool", "content": ...}]}``
as JSON Lines (the OpenAI and LLaMA-Factory layout) or a JSON array. Also read, because they
have the same shape: Claude messages records and Bedrock conversation records, so one can be
converted into the other.

- Leading ``system``/``developer`` messages become the record's top-level system prompt (joined
  by a blank line when there are several); one later in the conversation rejects the record.
- ``content`` may be a string, ``null`` (an assistant message that only calls tools) or a list
  of OpenAI parts (each with a ``type``): ``text`` parts are joined by a newline (empty ones
  left out), ``image_url`` parts become images (S3 URIs only; Bedrock reads media from S3), any
  other part rejects the record, naming its type.
- A list of Bedrock content blocks (no ``type`` keys) is kept block for block as the message's
  ``blocks``, which :mod:`fineprep.stages.convert.chat_records` writes unchanged where the
  target holds them; its text blocks also give ``text`` for targets with string content. Blank
  text blocks are left out (a notice counts them); media must be ``s3Location`` references
  (Bedrock reads no inline ``bytes``); reasoning must be an assistant's, followed by its answer.
  ``document``, tool and unknown blocks reject the record, named: no fine-tuning record holds
  them.
- Assistant ``tool_calls`` (and the legacy ``function_call``) and ``tool``/``function`` results
  are kept as tool turns; whether they can be written depends on the target model (see
  :mod:`fineprep.stages.convert.chat_records`).
- ``weight: 0`` marks a turn not to learn from; Bedrock trains on every assistant turn, so such a
  record is rejected rather than trained on the turn it excluded. ``name`` (a speaker's name)
  has no place in Bedrock records and is left out, with a notice counting it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fineprep.core.profiles import S3_URI_PATTERN
from fineprep.formats.conversation import is_reasoning_text
from fineprep.formats.media import ACCOUNT_ID, ALL_IMAGE_FORMATS, ALL_VIDEO_FORMATS, uri_problem
from fineprep.stages.convert.sources.base import SOURCES, SourceItem
from fineprep.stages.convert.sources.chat import (
    ASSISTANT,
    TOOL,
    USER,
    ChatError,
    Turn,
    attach_images,
    first_record,
    listed_dicts,
    read_chat,
    text_of,
    tool_call,
)

_SYSTEM = frozenset({"system", "developer"})
_ROLES = frozenset({"user", "assistant", "tool", "function", *_SYSTEM})
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_MEDIA_FORMATS = {"image": ALL_IMAGE_FORMATS, "video": ALL_VIDEO_FORMATS}
_S3_URI = re.compile(S3_URI_PATTERN)
_TOOLS = "tool blocks are not converted (Bedrock fine-tuning takes no tool use): remove them"
#: Bedrock blocks that no fine-tuning record can hold, and what to do instead.
_PDF = "Bedrock fine-tuning takes no document (PDF) blocks: put the document's text in the prompt"
_NO_PLACE = {"toolUse": _TOOLS, "toolResult": _TOOLS, "document": _PDF}
_BLANK = "blank text blocks"


@dataclass
class BlockTurn(Turn):
    """A turn given as Bedrock content blocks: ``blocks`` are written as they are where the
    target holds them; ``where`` lets the record builder name the source message."""

    blocks: list[dict[str, Any]] | None = None

    def as_field(self) -> dict[str, Any]:
        out = super().as_field()
        if self.blocks is not None:
            out["blocks"] = list(self.blocks)
            out["where"] = self.where
        return out


def sniff_openai(value: Any) -> bool:
    """A record (or the first of an array) with ``messages`` of role-tagged dicts."""
    first = first_record(value)
    return first is not None and listed_dicts(first.get("messages"), "role")


def normalize(obj: dict[str, Any], dropped: Counter[str]) -> tuple[str, list[Turn]]:
    messages = obj.get("messages")
    if "messages" not in obj:
        raise ChatError("no 'messages' list")
    if not isinstance(messages, list):
        raise ChatError(f"'messages' is {type(messages).__name__}, not a list of messages")
    if not messages:
        raise ChatError("the 'messages' list is empty")
    system_parts = _system(obj.get("system"))
    turns: list[Turn] = []
    pending_calls: list[str] = []
    for n, msg in enumerate(messages, 1):
        if not isinstance(msg, dict):
            raise ChatError(f"message {n} is not a JSON object")
        role = msg.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise ChatError(f"message {n} has role {role!r} (use system, user, assistant, tool)")
        if "name" in msg and role != "function":
            dropped["name"] += 1
        if msg.get("weight") == 0:
            raise ChatError(
                f"message {n} has weight 0 (not to be learned); Bedrock trains on every "
                "assistant turn, so remove that turn or the record"
            )
        turn = _turn(msg.get("content"), n, role, dropped)
        if turn.images and role != USER:
            raise ChatError(f"message {n}: images are allowed in user messages only")
        if role in _SYSTEM:
            if turns:
                raise ChatError(
                    f"message {n} is a {role} message after the conversation started; "
                    "Bedrock records have one system prompt, at the top"
                )
            system_parts.append(turn.text)
            continue
        turn.role = ASSISTANT if role == ASSISTANT else USER
        if role == ASSISTANT:
            turn.tool_calls = _calls(msg, n)
            pending_calls = [c["id"] for c in turn.tool_calls]
        elif role in ("tool", "function"):
            turn.role = TOOL
            turn.tool_call_id = _result_id(msg, pending_calls)
        turns.append(turn)
    if obj.get("images") not in (None, []) and any(
        getattr(t, "blocks", None) is not None for t in turns
    ):
        raise ChatError("'images' beside Bedrock content blocks: put the media in image blocks")
    attach_images(turns, obj.get("images"))  # LLaMA-Factory's "<image>" placeholders
    return "\n\n".join(p for p in system_parts if p.strip()), turns


def _system(system: Any) -> list[str]:
    """The top-level system prompt: a string (Claude) or ``[{"text": ...}]`` (Bedrock)."""
    if not isinstance(system, list):
        return [system] if isinstance(system, str) and system.strip() else []
    parts = []
    for i, item in enumerate(system, 1):
        if not isinstance(item, dict) or item.keys() != {"text"}:
            raise ChatError(f"system item {i} is not a {{'text': ...}} block")
        parts.append(text_of(item["text"], "system"))
    return parts


def _turn(content: Any, n: int, role: str, dropped: Counter[str]) -> BlockTurn:
    """The turn of one message's content (its role is set by the caller)."""
    if content is None or isinstance(content, str):
        return BlockTurn(role, content or "", n)
    if not isinstance(content, list):
        raise ChatError(f"message {n}: content is {type(content).__name__}")
    if any(not isinstance(part, dict) for part in content):
        raise ChatError(f"message {n}: a content part is not a JSON object")
    if content and not any("type" in part for part in content):
        return _blocks(content, n, role, dropped)
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        kind = part.get("type", "text" if "text" in part else next(iter(part), "empty"))
        if not isinstance(kind, str):
            raise ChatError(f"message {n}: a part's 'type' is {type(kind).__name__}, not text")
        if "type" not in part and kind != "text":
            raise ChatError(
                f"message {n} mixes OpenAI parts and Bedrock blocks ({kind!r}): use one kind"
            )
        if kind in _TEXT_PARTS:
            text = text_of(part.get("text"), f"message {n} text")
            if text:  # an empty part would only add a blank line
                texts.append(text)
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            images.append(text_of(url, f"message {n} image_url"))
        else:
            raise ChatError(f"message {n} has a {kind!r} part, which Bedrock records cannot hold")
    return BlockTurn(role, "\n".join(texts), n, images)


def _blocks(content: list[dict[str, Any]], n: int, role: str, dropped: Counter[str]) -> BlockTurn:
    """A message of Bedrock content blocks, kept as they are (see the module docstring)."""
    texts: list[str] = []
    uris: list[str] = []
    blocks: list[dict[str, Any]] = []
    blank = False
    for block in content:
        if len(block) != 1:
            keys = ", ".join(map(repr, block)) or "no keys"
            raise ChatError(
                f"message {n} has a content block with {keys}; a Bedrock block has exactly "
                "one key ('text', 'image', 'video' or 'reasoningContent')"
            )
        ((key, value),) = block.items()
        if key == "text":
            text = text_of(value, f"message {n} text")
            if not text.strip():
                blank = True
                continue
            texts.append(text)
        elif key in _MEDIA_FORMATS:
            if role != USER:
                article = "an" if key == "image" else "a"
                raise ChatError(
                    f"message {n} has {article} {key} block; images and videos are allowed in "
                    "user messages only"
                )
            uris.append(_media_uri(key, value, n))
        elif key == "reasoningContent":
            _reasoning(value, n, role)
        elif key in _NO_PLACE:
            raise ChatError(f"message {n} has a {key} block; {_NO_PLACE[key]}")
        else:
            raise ChatError(f"message {n} has a {key} block, which Bedrock records cannot hold")
        blocks.append(block)
    for k, block in enumerate(blocks):
        if "reasoningContent" in block and "text" not in [*blocks, {}][k + 1]:
            raise ChatError(
                f"message {n}: a reasoningContent block must be followed by a text block "
                "with the answer"
            )
    if blank:
        dropped[_BLANK] += 1
    return BlockTurn(role, "\n".join(texts), n, uris, blocks=blocks)


def _media_uri(kind: str, value: Any, n: int) -> str:
    """The S3 URI of an image or video block, whose shape is checked as check reads it."""
    source = value.get("source") if isinstance(value, dict) else None
    if isinstance(source, dict) and "bytes" in source:
        raise ChatError(
            f"message {n}: the {kind} block holds inline bytes; Bedrock reads media from S3 "
            "only (upload the file and give source.s3Location.uri)"
        )
    where = source.get("s3Location") if isinstance(source, dict) else None
    if not (
        isinstance(value, dict)
        and value.keys() == {"format", "source"}
        and isinstance(source, dict)
        and source.keys() == {"s3Location"}
        and isinstance(where, dict)
        and isinstance(where.get("uri"), str)
        and where.keys() <= {"uri", "bucketOwner"}
    ):
        raise ChatError(
            f"message {n}: the {kind} block is not {{'format': ..., 'source': {{'s3Location': "
            "{'uri': 's3://...', 'bucketOwner': ...}}}"
        )
    if value["format"] not in _MEDIA_FORMATS[kind]:
        known = ", ".join(_MEDIA_FORMATS[kind])
        raise ChatError(f"message {n}: {kind} format {value['format']!r} is not one of {known}")
    owner = where.get("bucketOwner")
    if owner is not None and not (isinstance(owner, str) and ACCOUNT_ID.fullmatch(owner)):
        raise ChatError(f"message {n}: the {kind} block's bucketOwner is not a 12-digit account ID")
    uri: str = where["uri"]
    if not _S3_URI.fullmatch(uri):
        raise ChatError(f"message {n}: {kind} {uri[:200]!r} is not an S3 URI: {uri_problem(uri)}")
    return uri


def _reasoning(value: Any, n: int, role: str) -> None:
    if not is_reasoning_text(value):
        raise ChatError(
            f"message {n}: reasoningContent is not {{'reasoningText': {{'text': ...}}}}"
        )
    if role != ASSISTANT:
        raise ChatError(f"message {n} has a reasoningContent block: it belongs in assistant turns")
    if not value["reasoningText"]["text"].strip():
        raise ChatError(f"message {n}: the reasoningContent text is empty")


def _calls(msg: dict[str, Any], n: int) -> list[dict[str, Any]]:
    calls = []
    for k, call in enumerate(msg.get("tool_calls") or [], 1):
        if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
            raise ChatError(f"message {n}: tool call {k} has no 'function'")
        fn = call["function"]
        given = call.get("id")
        call_id = given if isinstance(given, str) and given else f"call_{n}_{k}"
        calls.append(tool_call(call_id, fn.get("name"), fn.get("arguments"), f"message {n}"))
    legacy = msg.get("function_call")
    if isinstance(legacy, dict):
        calls.append(
            tool_call(f"call_{n}", legacy.get("name"), legacy.get("arguments"), f"message {n}")
        )
    return calls


def _result_id(msg: dict[str, Any], pending: list[str]) -> str:
    given = msg.get("tool_call_id")
    if isinstance(given, str) and given:
        return given
    return pending.pop(0) if pending else ""


def read_openai_chat(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of OpenAI chat files (see the module docstring)."""
    return read_chat(paths, options, "openai-chat", normalize)


SOURCES.add("openai-chat", read_openai_chat)
