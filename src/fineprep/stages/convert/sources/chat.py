"""Chat data from other tools (OpenAI chat, ShareGPT, Alpaca) in one neutral shape.

Each chat reader (:mod:`.openai_chat`, :mod:`.sharegpt`, :mod:`.alpaca`) turns its records into
a system prompt and a list of :class:`Turn` values; this module checks the order Bedrock needs
once for all of them and stores the result in the row as the ``chat`` field::

    {"system": "...", "messages": [{"role": "user" | "assistant" | "tool", "text": "...",
     "images": ["s3://..."], "tool_calls": [{"id", "name", "arguments"}], "tool_call_id": ""}]}

(templates can read it: ``--label chat.messages.0.text``), from which
:mod:`fineprep.stages.convert.chat_records` builds the target record. The other keys of the
source record stay fields of the row (``--id id``, ``--label category``).

A record whose turns cannot become a Bedrock record in any target is rejected here with the
message number: a conversation that starts with the assistant, ends with the user, has two
turns of one side in a row, an empty turn, a tool result with no call before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.errors import ConfigError
from fineprep.stages.convert.sources.base import SourceItem, SourceReject, SourceRow
from fineprep.stages.convert.sources.json import read_json, read_jsonl

USER, ASSISTANT, TOOL = "user", "assistant", "tool"
#: The source kinds whose rows carry a ``chat`` field (their turns are the record).
CHAT_KINDS = frozenset({"openai-chat", "sharegpt", "alpaca"})
IMAGE_PLACEHOLDER = "<image>"


class ChatError(Exception):
    """A record that cannot be a Bedrock conversation; the message is the reject reason."""


@dataclass
class Turn:
    """One message: ``where`` is its 1-based position in the source record (for messages)."""

    role: str
    text: str = ""
    where: int = 0
    images: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str = ""

    def as_field(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "text": self.text,
            "images": list(self.images),
            "tool_calls": list(self.tool_calls),
            "tool_call_id": self.tool_call_id,
        }


#: A reader's record parser: source object -> (system prompt, turns); counts dropped keys.
Normalize = Callable[[dict[str, Any], Counter[str]], tuple[str, list[Turn]]]


def first_record(value: Any) -> dict[str, Any] | None:
    """What a chat reader's content test looks at: the record, or the first of an array."""
    first = value[0] if isinstance(value, list) and value else value
    return first if isinstance(first, dict) else None


def listed_dicts(value: Any, key: str) -> bool:
    """Whether ``value`` is a non-empty list whose first item is an object with ``key``."""
    return (
        isinstance(value, list) and bool(value) and isinstance(value[0], dict) and key in value[0]
    )


def text_of(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ChatError(f"{where} is {type(value).__name__}, not text")
    return value


def tool_call(call_id: str, name: Any, arguments: Any, where: str) -> dict[str, Any]:
    """A tool call with its arguments as a JSON object (OpenAI sends them as a JSON string)."""
    if not isinstance(name, str) or not name:
        raise ChatError(f"{where} calls a tool without a name")
    if isinstance(arguments, str):
        try:
            arguments = jsonexact.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            raise ChatError(f"{where}: the arguments of tool {name!r} are not JSON") from None
    if not isinstance(arguments, dict):
        raise ChatError(f"{where}: the arguments of tool {name!r} are not a JSON object")
    return {"id": call_id, "name": name, "arguments": arguments}


def attach_images(turns: list[Turn], images: Any) -> None:
    """Put a record's image list on its turns: one image per ``<image>`` placeholder, in order
    (LLaMA-Factory's convention), or all on the first user turn when there are none."""
    if images is None or images == []:
        return
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        raise ChatError("'images' is not a list of image URIs")
    placeholders = sum(t.text.count(IMAGE_PLACEHOLDER) for t in turns)
    if placeholders == 0:
        first = next((t for t in turns if t.role == USER), None)
        if first is None:
            raise ChatError("the record has images but no user message to hold them")
        first.images.extend(images)
        return
    if placeholders != len(images):
        raise ChatError(f"{placeholders} {IMAGE_PLACEHOLDER} placeholders for {len(images)} images")
    queue = list(images)
    for turn in turns:
        n = turn.text.count(IMAGE_PLACEHOLDER)
        if n and turn.role != USER:
            raise ChatError(f"message {turn.where}: images are allowed in user messages only")
        turn.images.extend(queue[:n])
        del queue[:n]
        turn.text = turn.text.replace(IMAGE_PLACEHOLDER, "").strip()


def check_order(turns: list[Turn]) -> None:
    """Raise :class:`ChatError` unless the turns alternate user-side / assistant from a user
    turn to an assistant answer (tool results count as the user side, after a tool call)."""
    if not turns:
        raise ChatError("no user or assistant messages")
    previous: Turn | None = None
    for turn in turns:
        if not turn.text.strip() and not turn.images and not turn.tool_calls:
            raise ChatError(f"message {turn.where} ({turn.role}) is empty")
        if turn.role == TOOL:
            if previous is None or not (previous.role == TOOL or previous.tool_calls):
                raise ChatError(f"message {turn.where} is a tool result without a tool call")
        elif previous is None:
            if turn.role != USER:
                raise ChatError(
                    f"message {turn.where} is from the {turn.role} before any user message; "
                    "a record starts with the user"
                )
        elif (turn.role == ASSISTANT) == (previous.role == ASSISTANT):
            side = "from the user" if turn.role == previous.role == USER else "user turns"
            side = "from the assistant" if turn.role == ASSISTANT else side
            raise ChatError(
                f"messages {previous.where} and {turn.where} are both {side}; Bedrock records "
                "alternate user and assistant turns"
            )
        previous = turn
    assert previous is not None
    if previous.role != ASSISTANT:
        raise ChatError(
            f"the last message ({previous.where}) is not the assistant's; a training record "
            "ends with the answer to learn"
        )
    if previous.tool_calls:
        raise ChatError(f"the last message ({previous.where}) is a tool call, not an answer")


def chat_row(fields: dict[str, Any], source: str, system: str, turns: list[Turn]) -> SourceItem:
    try:
        check_order(turns)
    except ChatError as exc:
        return SourceReject(source, str(exc), _raw(fields))
    messages = [t.as_field() for t in turns]
    return SourceRow({**fields, "chat": {"system": system, "messages": messages}}, source)


def _raw(fields: dict[str, Any]) -> str:
    return orjson.dumps(fields, default=str).decode()


def read_chat(
    paths: list[str], options: dict[str, Any], kind: str, normalize: Normalize
) -> Iterator[SourceItem]:
    """The rows of chat files (``.jsonl`` line by line, ``.json`` an array or one record)."""
    unknown = sorted(set(options) - {"notices"})
    if unknown:
        raise ConfigError(f"{kind} source: unknown option {unknown[0]!r} (it takes none)")
    notices: list[str] = options.setdefault("notices", [])
    for path in paths:
        dropped: Counter[str] = Counter()
        lines = Path(path).suffix.lower() in (".jsonl", ".ndjson")
        items = read_jsonl([path], {}) if lines else read_json([path], {"notices": notices})
        for item in items:
            if isinstance(item, SourceReject):
                yield item
                continue
            try:
                system, turns = normalize(item.fields, dropped)
            except ChatError as exc:
                yield SourceReject(item.source, str(exc), _raw(item.fields))
                continue
            yield chat_row(item.fields, item.source, system, turns)
        for key, count in sorted(dropped.items()):
            notices.append(
                f"{path}: {count:,} messages carry {key!r}, which Bedrock records have no "
                "place for; left out"
            )
