"""RFT prompts from rows: a table's columns, or supervised records turned into prompts.

A row with a ``--prompt`` template becomes ``[system?, user]`` messages and the
``--reference-answer`` field's value (kept as it is: a string stays a string, JSON stays JSON).
A supervised record (bedrock-conversation-2024, Claude messages, prompt/completion) read as a
source row without ``--prompt`` becomes the prompt it was trained on: its turns up to the final
assistant answer, which becomes ``reference_answer``. Grader fields are copied as they are.
"""

from __future__ import annotations

from typing import Any

from fineprep.formats import detect
from fineprep.stages.convert.templates import RowError

REFERENCE = "reference_answer"


def rft_record(
    prompt: str | None,
    system: str,
    reference: Any,
    fields: dict[str, Any],
    grader_fields: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    if prompt is None:
        messages, derived = from_supervised(fields)
        reference = derived if reference is None else reference
        if system and not (messages and messages[0]["role"] == "system"):
            messages.insert(0, {"role": "system", "content": system})
    else:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
    if reference is None:
        raise RowError("no reference answer (give --reference-answer FIELD)")
    record: dict[str, Any] = {"messages": messages, REFERENCE: reference}
    for name, source in grader_fields:
        if source not in fields:
            raise RowError(f"grader field {source!r} is missing")
        record[name] = fields[source]
    return record


def _texts(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RowError(f"{where}: content is neither text nor a list of blocks")
    parts = []
    for block in content:
        if not isinstance(block, dict):
            raise RowError(f"{where}: a content block is not an object")
        if "reasoningContent" in block:
            continue  # the reasoning is not part of the answer the grader compares with
        if not isinstance(block.get("text"), str):
            kind = next(iter(block), "?")
            raise RowError(f"{where}: {kind!r} blocks cannot go into RFT prompts (text only)")
        parts.append(block["text"])
    return "\n".join(parts)


def from_supervised(fields: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    """``(messages, reference)`` from a supervised record; RowError if it is none."""
    fmt = detect(fields)
    if fmt == "prompt-completion":
        if not isinstance(fields.get("prompt"), str) or not isinstance(
            fields.get("completion"), str
        ):
            raise RowError("prompt and completion must be strings")
        return [{"role": "user", "content": fields["prompt"]}], fields["completion"]
    if fmt not in ("conversation", "claude-messages"):
        raise RowError(
            "not a supervised record (conversation, Claude messages or prompt/completion): give "
            "--prompt TEMPLATE and --reference-answer FIELD"
        )
    messages: list[dict[str, Any]] = []
    system = fields.get("system")
    if isinstance(system, str) and system:
        messages.append({"role": "system", "content": system})
    elif isinstance(system, list):
        text = _texts(system, "system")
        if text:
            messages.append({"role": "system", "content": text})
    turns = fields.get("messages")
    if not isinstance(turns, list) or not turns:
        raise RowError("the record has no messages")
    for i, turn in enumerate(turns):
        role = turn.get("role") if isinstance(turn, dict) else None
        if role == "system" and all(m["role"] == "system" for m in messages):
            # OpenAI chat files carry the system prompt as a leading message.
            messages.append({"role": "system", "content": _texts(turn.get("content"), "system")})
            continue
        if role not in ("user", "assistant"):
            raise RowError(f"message {i} is not a user or assistant turn")
        messages.append({"role": role, "content": _texts(turn.get("content"), f"turn {i}")})
    if messages[-1]["role"] != "assistant":
        raise RowError("the record ends without an assistant answer to use as reference_answer")
    answer = messages.pop()["content"]
    return messages, answer
