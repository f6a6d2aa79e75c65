"""OpenAI chat fine-tuning records (the ``openai-chat`` source kind).

``{"messages": [{"role": "system" | "developer" | "user" | "assistant" | "tool", "content": ...}]}``
as JSON Lines (the OpenAI and LLaMA-Factory layout) or a JSON array. Also read, because they
have the same shape: Claude messages records and Bedrock conversation records (``content`` as
a list of ``{"text": ...}`` blocks), so one can be converted into the other.

- Leading ``system``/``developer`` messages become the record's top-level system prompt (joined
  by a blank line when there are several); one later in the conversation rejects the record.
- ``content`` may be a string, ``null`` (an assistant message that only calls tools) or a list
  of parts: ``text`` parts are joined by a newline, ``image_url`` parts become images (S3 URIs
  only; Bedrock reads media from S3), any other part rejects the record.
- Assistant ``tool_calls`` (and the legacy ``function_call``) and ``tool``/``function`` results
  are kept as tool turns; whether they can be written depends on the target model (see
  :mod:`fineprep.stages.convert.chat_records`).
- ``weight: 0`` marks a turn not to learn from; Bedrock trains on every assistant turn, so such a
  record is rejected rather than trained on the turn it excluded. ``name`` (a speaker's name)
  has no place in Bedrock records and is left out, with a notice counting it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

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


def sniff_openai(value: Any) -> bool:
    """A record (or the first of an array) with ``messages`` of role-tagged dicts."""
    first = first_record(value)
    return first is not None and listed_dicts(first.get("messages"), "role")


def normalize(obj: dict[str, Any], dropped: Counter[str]) -> tuple[str, list[Turn]]:
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatError("no 'messages' list")
    system = obj.get("system")
    system_parts = [system] if isinstance(system, str) and system.strip() else []
    if isinstance(system, list):  # Bedrock conversation: [{"text": ...}]
        system_parts = [text_of(s.get("text"), "system") for s in system if isinstance(s, dict)]
    turns: list[Turn] = []
    pending_calls: list[str] = []
    for n, msg in enumerate(messages, 1):
        if not isinstance(msg, dict):
            raise ChatError(f"message {n} is not a JSON object")
        role = msg.get("role")
        if role not in _ROLES:
            raise ChatError(f"message {n} has role {role!r} (use system, user, assistant, tool)")
        if "name" in msg and role != "function":
            dropped["name"] += 1
        if msg.get("weight") == 0:
            raise ChatError(
                f"message {n} has weight 0 (not to be learned); Bedrock trains on every "
                "assistant turn, so remove that turn or the record"
            )
        text, images = _content(msg.get("content"), n)
        if role in _SYSTEM:
            if turns:
                raise ChatError(
                    f"message {n} is a {role} message after the conversation started; "
                    "Bedrock records have one system prompt, at the top"
                )
            system_parts.append(text)
            continue
        if images and role != USER:
            raise ChatError(f"message {n}: images are allowed in user messages only")
        turn = Turn(ASSISTANT if role == ASSISTANT else USER, text, n, images)
        if role == ASSISTANT:
            turn.tool_calls = _calls(msg, n)
            pending_calls = [c["id"] for c in turn.tool_calls]
        elif role in ("tool", "function"):
            turn.role = TOOL
            turn.tool_call_id = _result_id(msg, pending_calls)
        turns.append(turn)
    attach_images(turns, obj.get("images"))  # LLaMA-Factory's "<image>" placeholders
    return "\n\n".join(p for p in system_parts if p.strip()), turns


def _content(content: Any, n: int) -> tuple[str, list[str]]:
    if content is None or isinstance(content, str):
        return content or "", []
    if not isinstance(content, list):
        raise ChatError(f"message {n}: content is {type(content).__name__}")
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            raise ChatError(f"message {n}: a content part is not a JSON object")
        kind = part.get("type", "text" if "text" in part else None)
        if kind in _TEXT_PARTS:
            texts.append(text_of(part.get("text"), f"message {n} text"))
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            images.append(text_of(url, f"message {n} image_url"))
        else:
            raise ChatError(f"message {n} has a {kind!r} part, which Bedrock records cannot hold")
    return "\n".join(texts), images


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
