"""RFT prompts from rows: a table's columns, records already in RFT form, or supervised records.

- A row with a ``--prompt`` template becomes ``[system?, user]`` messages and the
  ``--reference-answer`` field's value (kept as it is: a string stays a string, JSON stays JSON).
- Without ``--prompt``, a row with a ``prompt`` field (and no ``completion``, or with a
  ``reference_answer``) is read the same way from its ``prompt`` and ``reference_answer``
  fields: the defaults ``fineprep convert --help`` names.
- A record already in RFT form (``messages`` plus ``reference_answer``) is written as it is,
  with every other key kept for the grader; only a ``developer`` message is renamed ``system``,
  since RFT records hold system, user and assistant turns.
- A supervised record (bedrock-conversation-2024, Claude messages, OpenAI chat,
  prompt/completion) becomes the prompt it was trained on: its turns up to the final assistant
  answer, which becomes ``reference_answer``. Leading ``system``/``developer`` messages stay
  system turns, as in the conversation path; text parts of one message are joined by a newline.

Grader fields are copied as they are. What ``check`` reports as an error (an empty prompt or
reference answer, a prompt ending with the answer, a part that is not text) rejects the row
with the message named, counted from 1 as everywhere else, instead of being written.
"""

from __future__ import annotations

from typing import Any

from fineprep.formats import detect
from fineprep.stages.convert.templates import RowError
from fineprep.stages.convert.values import is_null, to_text

REFERENCE = "reference_answer"
PROMPT = "prompt"
_SYSTEM = frozenset({"system", "developer"})
_ROLES = frozenset({"user", "assistant", *_SYSTEM})
_MESSAGE_KEYS = frozenset({"role", "content", "name"})
_ROLE_HELP = "RFT prompts hold system (or developer), user and assistant turns"


def rft_record(
    prompt: str | None,
    system: str,
    reference: Any,
    fields: dict[str, Any],
    grader_fields: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    """The RFT record for one row (``prompt``/``reference``: the rendered options, or None)."""
    kept: dict[str, Any] = {}
    if prompt is not None:
        messages = [{"role": "user", "content": prompt}]
    elif REFERENCE in fields and "messages" in fields:
        messages = _prompt_messages(fields["messages"])
        kept = {k: v for k, v in fields.items() if k not in ("messages", REFERENCE)}
        reference = fields[REFERENCE] if reference is None else reference
    elif PROMPT in fields and (REFERENCE in fields or "completion" not in fields):
        messages = [{"role": "user", "content": _default_prompt(fields)}]
        if reference is None:
            if REFERENCE not in fields:
                raise RowError(
                    f"no {REFERENCE!r} field (fields: {', '.join(map(str, fields))[:300]}): "
                    "give --reference-answer FIELD"
                )
            reference = fields[REFERENCE]
    else:
        messages, derived = from_supervised(fields)
        reference = derived if reference is None else reference
    if system and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, {"role": "system", "content": system})
    _check_reference(reference)
    record: dict[str, Any] = {"messages": messages, REFERENCE: reference, **kept}
    for name, source in grader_fields:
        if source not in fields:
            raise RowError(f"grader field {source!r} is missing")
        record[name] = fields[source]
    return record


def _default_prompt(fields: dict[str, Any]) -> str:
    value = fields[PROMPT]
    if is_null(value):
        raise RowError(
            f"field {PROMPT!r} is null: fill it in, or give --prompt TEMPLATE "
            f"(e.g. \"{{{{ {PROMPT} | default('...') }}}}\")"
        )
    text = to_text(value, PROMPT)
    if not text or text.isspace():
        raise RowError(f"the prompt is empty (field {PROMPT!r}): write the task or drop the row")
    return text


def _check_reference(value: Any) -> None:
    """Reject what check reports as S004: the grader would have nothing to compare with."""
    null = is_null(value)
    blank = isinstance(value, str) and (not value or value.isspace())
    if null or blank or (isinstance(value, (list, dict)) and not value):
        shown = "null" if null else "empty"
        raise RowError(
            f"{REFERENCE} is {shown}: the grader has nothing to compare the model's answer "
            "with; fill it in or drop the row"
        )


def _a(word: str) -> str:
    return f"an {word!r}" if word[:1].lower() in "aeiou" else f"a {word!r}"


def _kind(part: dict[str, Any]) -> str:
    kind = part.get("type")
    return kind if isinstance(kind, str) else str(next(iter(part), "?"))


def _text_only(where: str, part: Any) -> RowError:
    if not isinstance(part, dict):
        return RowError(f"{where}: a content part is not a JSON object")
    if _kind(part) == "text":
        if not isinstance(part.get("text"), str):
            return RowError(f"{where}: a text part's 'text' is not a string")
        return RowError(
            f"{where} has a text part that is not {{'type': 'text', 'text': '...'}} (RFT text "
            "parts have exactly these two keys)"
        )
    return RowError(f"{where} has {_a(_kind(part))} part; RFT prompts are text only")


def _prompt_messages(value: Any) -> list[dict[str, Any]]:
    """The messages of a record already in RFT form, checked as check reads them."""
    if not isinstance(value, list):
        raise RowError(f"'messages' is {type(value).__name__}, not a list of messages")
    if not value:
        raise RowError("the 'messages' list is empty")
    out: list[dict[str, Any]] = []
    for n, msg in enumerate(value, 1):
        if not isinstance(msg, dict):
            raise RowError(f"message {n} is not a JSON object")
        role = msg.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise RowError(f"message {n} has role {role!r}; {_ROLE_HELP}")
        extra = sorted(map(str, set(msg) - _MESSAGE_KEYS))
        if extra:
            raise RowError(f"message {n} has {extra}, which RFT messages have no place for")
        if "name" in msg and not isinstance(msg["name"], str):
            raise RowError(f"message {n}: 'name' is not a string")
        _prompt_content(msg.get("content"), n, role)
        out.append({**msg, "role": "system"} if role == "developer" else msg)
    _prompt_order(out)
    return out


def _prompt_content(content: Any, n: int, role: str) -> None:
    """String content, or ``{"type": "text", "text": ...}`` parts, none of them blank."""
    if isinstance(content, str):
        texts = [content]
    elif isinstance(content, list):
        for part in content:
            if not (isinstance(part, dict) and part.keys() == {"type", "text"}):
                raise _text_only(f"message {n}", part)
            if part["type"] != "text" or not isinstance(part["text"], str):
                raise _text_only(f"message {n}", part)
        texts = [p["text"] for p in content]
    else:
        raise RowError(f"message {n}: content is neither text nor a list of text parts")
    if not any(t.strip() for t in texts):
        raise RowError(f"message {n} ({role}) is empty")
    if not all(t.strip() for t in texts):
        raise RowError(f"message {n} has an empty text part; remove it or fill it in")


def _prompt_order(messages: list[dict[str, Any]]) -> None:
    if messages[-1]["role"] == "assistant":
        raise RowError(
            f"message {len(messages)} is an assistant answer at the end: an RFT prompt ends with "
            f"the turn the model answers (put the expected answer in {REFERENCE})"
        )
    if not any(m["role"] == "user" for m in messages):
        raise RowError("no user message: an RFT prompt needs the task the model answers")


def _texts(content: Any, where: str) -> str:
    """The text of a supervised message (``where``: which one, for the reject reason); text
    parts are joined by a newline, empty ones left out, and reasoning is not part of it."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RowError(f"{where}: content is neither text nor a list of blocks")
    parts = []
    for block in content:
        if isinstance(block, dict) and "reasoningContent" in block:
            continue  # the reasoning is not part of the answer the grader compares with
        if not isinstance(block, dict) or not isinstance(block.get("text"), str):
            raise _text_only(where, block)
        if block["text"]:
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
        if not fields["prompt"].strip():
            raise RowError("the prompt is empty (field 'prompt'): write the task or drop the row")
        return [{"role": "user", "content": fields["prompt"]}], fields["completion"]
    if fmt not in ("conversation", "claude-messages"):
        raise RowError(
            f"no {PROMPT!r} field and not a supervised record (conversation, Claude messages or "
            "prompt/completion): give --prompt TEMPLATE and --reference-answer FIELD"
        )
    messages: list[dict[str, Any]] = []
    system = fields.get("system")
    if isinstance(system, str) and system.strip():
        messages.append({"role": "system", "content": system})
    elif isinstance(system, list):
        text = _texts(system, "the system prompt")
        if text.strip():
            messages.append({"role": "system", "content": text})
    turns = fields.get("messages")
    if not isinstance(turns, list):
        raise RowError(f"'messages' is {type(turns).__name__}, not a list of messages")
    if not turns:
        raise RowError("the 'messages' list is empty")
    for n, turn in enumerate(turns, 1):
        if not isinstance(turn, dict):
            raise RowError(f"message {n} is not a JSON object")
        given = turn.get("role")
        role = given if isinstance(given, str) else ""
        if role in _SYSTEM:
            if any(m["role"] != "system" for m in messages):
                raise RowError(
                    f"message {n} is a {role} message after the conversation started; system "
                    "prompts go at the top"
                )
            text = _texts(turn.get("content"), f"message {n}")
            if text.strip():  # an empty system prompt says nothing; the conversation path agrees
                messages.append({"role": "system", "content": text})
            continue
        if role not in ("user", "assistant"):
            raise RowError(f"message {n} has role {given!r}; {_ROLE_HELP}")
        text = _texts(turn.get("content"), f"message {n}")
        if not text.strip():
            raise RowError(f"message {n} ({role}) is empty")
        messages.append({"role": role, "content": text})
    if not messages or messages[-1]["role"] != "assistant":
        raise RowError("the record ends without an assistant answer to use as reference_answer")
    answer = messages.pop()["content"]
    if not any(m["role"] == "user" for m in messages):
        raise RowError(
            "no user message before the answer: an RFT prompt needs the task the model answers"
        )
    return messages, answer
