"""Alpaca instruction records (the ``alpaca`` source kind), as LLaMA-Factory and Stanford Alpaca
write them: ``{"instruction", "input", "output", "system", "history"}``, as a JSON array or
JSON Lines.

The user turn is the instruction followed, on a new line, by the input when there is one
(LLaMA-Factory's prompt); the assistant turn is the output. ``history`` (a list of earlier
``[question, answer]`` pairs) comes first, so a multi-turn record stays multi-turn, and
``system`` is the system prompt. A record without an output, or whose output is a list (ranked
preference data, not a single answer), is rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from fineprep.stages.convert.sources.base import SOURCES, SourceItem
from fineprep.stages.convert.sources.chat import (
    ASSISTANT,
    USER,
    ChatError,
    Turn,
    attach_images,
    first_record,
    read_chat,
    text_of,
)


def sniff_alpaca(value: Any) -> bool:
    """A record (or the first of an array) with ``instruction`` and ``output``."""
    first = first_record(value)
    return first is not None and "instruction" in first and "output" in first


def normalize(obj: dict[str, Any], dropped: Counter[str]) -> tuple[str, list[Turn]]:
    output = obj.get("output")
    if isinstance(output, list):
        raise ChatError("'output' is a list (ranked preference data), not one answer")
    answer = text_of(output, "output")
    if not answer.strip():
        raise ChatError("no 'output' (the answer to learn)")
    prompt = "\n".join(
        p
        for p in (
            text_of(obj.get("instruction"), "instruction"),
            text_of(obj.get("input"), "input"),
        )
        if p
    )
    turns: list[Turn] = []
    history = obj.get("history") or []
    if not isinstance(history, list):
        raise ChatError("'history' is not a list of [question, answer] pairs")
    for n, pair in enumerate(history, 1):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ChatError(f"history item {n} is not a [question, answer] pair")
        turns.append(Turn(USER, text_of(pair[0], f"history item {n}"), len(turns) + 1))
        turns.append(Turn(ASSISTANT, text_of(pair[1], f"history item {n}"), len(turns) + 1))
    turns.append(Turn(USER, prompt, len(turns) + 1))
    turns.append(Turn(ASSISTANT, answer, len(turns) + 1))
    attach_images(turns, obj.get("images"))
    return text_of(obj.get("system"), "system"), turns


def read_alpaca(paths: list[str], options: dict[str, Any]) -> Iterator[SourceItem]:
    """Rows of Alpaca files (see the module docstring)."""
    return read_chat(paths, options, "alpaca", normalize)


SOURCES.add("alpaca", read_alpaca)
