"""ShareGPT conversations (the ``sharegpt`` source kind), as LLaMA-Factory and FastChat use them.

``{"conversations": [{"from": "human" | "gpt" | "system" | "function_call" | "observation",
"value": "..."}], "system": "...", "images": [...]}`` as JSON Lines or a JSON array (``role`` /
``content`` keys are read too). ``human``/``user`` is the user, ``gpt``/``assistant``/``bot``/
``model`` the assistant; a top-level ``system`` and leading ``system`` turns become the record's
system prompt. ``function_call`` turns (a JSON ``{"name", "arguments"}``) are tool calls and
``observation``/``tool`` turns their results. ``images`` are attached to the user turns at their
``<image>`` placeholders (or to the first user turn when there are none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson

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

_ROLES = {
    "human": USER,
    "user": USER,
    "gpt": ASSISTANT,
    "assistant": ASSISTANT,
    "bot": ASSISTANT,
    "model": ASSISTANT,
    "chatgpt": ASSISTANT,
    "function_call": "function_call",
    "observation": TOOL,
    "tool": TOOL,
    "function": TOOL,
    "system": "system",
}


def sniff_sharegpt(value: Any) -> bool:
    """A record (or the first of an array) with ``conversations`` of from/value dicts."""
    first = first_record(value)
    turns = first.get("conversations") if first is not None else None
    return listed_dicts(turns, "from") or listed_dicts(turns, "role")


def normalize(obj: dict[str, Any], dropped: Counter[str]) -> tuple[str, list[Turn]]:
    conversations = obj.get("conversations")
    if not isinstance(conversations, list) or not conversations:
        raise ChatError("no 'conversations' list")
    system = text_of(obj.get("system"), "system")
    parts = [system] if system.strip() else []
    turns: list[Turn] = []
    calls = 0
    for n, msg in enumerate(conversations, 1):
        if not isinstance(msg, dict):
            raise ChatError(f"message {n} is not a JSON object")
        speaker = msg.get("from", msg.get("role"))
        role = _ROLES.get(speaker) if isinstance(speaker, str) else None
        if role is None:
            raise ChatError(f"message {n} is from {speaker!r} (use human, gpt, system)")
        text = text_of(msg.get("value", msg.get("content")), f"message {n}")
        if role == "system":
            if turns:
                raise ChatError(
                    f"message {n} is a system turn after the conversation started; "
                    "Bedrock records have one system prompt, at the top"
                )
            parts.append(text)
            continue
        if role == "function_call":
            calls += 1
            turns.append(Turn(ASSISTANT, "", n, tool_calls=[_call(text, n, calls)]))
        elif role == TOOL:
            turns.append(Turn(TOOL, text, n, tool_call_id=f"call_{calls}" if calls else ""))
        else:
            turns.append(Turn(role, text, n))
    attach_images(turns, obj.get("images"))
    return "\n\n".join(p for p in parts if p.strip()), turns


def _call(text: str, n: int, k: int) -> dict[str, Any]:
    try:
        spec = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ChatError(f"message {n}: the function_call is not JSON") from None
    if not isinstance(spec, dict):
        raise ChatError(f"message {n}: the function_call is not a JSON object")
    return tool_call(f"call_{k}", spec.get("name"), spec.get("arguments", {}), f"message {n}")


def read_sharegpt(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of ShareGPT files (see the module docstring)."""
    return read_chat(paths, options, "sharegpt", normalize)


SOURCES.add("sharegpt", read_sharegpt)
