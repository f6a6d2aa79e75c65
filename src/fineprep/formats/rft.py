"""Reinforcement fine-tuning records: OpenAI chat-completions prompts plus a reference answer.

One JSONL line is one prompt: ``messages`` (system, user and assistant turns whose ``content``
is a string or a list of ``{"type": "text", "text": ...}`` parts) ending with the turn the model
answers, and ``reference_answer``: any JSON the reward function compares the model's answer
with. Other top-level keys are allowed; Bedrock passes them to the grader Lambda in
``metadata`` beside the reference answer.

The view puts every message in the context and the reference answer (a string as is, anything
else as canonical JSON) in the answer half, so duplicates, conflicting answers and leakage are
judged on prompts and the T limits count prompt tokens.
"""

from __future__ import annotations

from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import (
    Path,
    Report,
    Segment,
    View,
    messages_of,
    missing_key,
    type_name,
    unexpected_keys,
)

REFERENCE = "reference_answer"
_ROLES = ("system", "user", "assistant")
_MESSAGE = frozenset({"role", "content", "name"})
_PART = frozenset({"type", "text"})
_WHERE = "an RFT record"


def reference_text(value: Any) -> str:
    """The reference answer as text: a string as is, other JSON canonically serialised."""
    if isinstance(value, str):
        return value
    return jsonexact.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def analyze_rft(obj: dict[str, Any], profile: ModelProfile | None, report: Report) -> View:
    view = View("rft")
    messages = messages_of(obj, report, view, _WHERE)
    roles: list[str | None] = []
    if messages is not None:
        for i, msg in enumerate(messages):
            roles.append(_message(msg, ("messages", i), view, report))
        view.n_messages = len(messages)
        _order(roles, report)
    view.split = len(view.segments)
    if REFERENCE not in obj:
        missing_key(report, (), REFERENCE, _WHERE + " (the answer the reward function expects)")
        view.structural_ok = False
        return view
    value = obj[REFERENCE]
    if value is None or value in ("", [], {}) or (isinstance(value, str) and value.isspace()):
        report(
            "S004",
            (REFERENCE,),
            f"reference_answer is empty ({type_name(value)}): the grader has nothing to "
            "compare the model's answer with",
            {"role": "reference"},
        )
        return view
    view.segments.append(Segment((REFERENCE,), "reference", reference_text(value), True))
    return view


def _message(msg: Any, path: Path, view: View, report: Report) -> str | None:
    if not isinstance(msg, dict):
        report("S001", path, f"each message must be an object, not {type_name(msg)}", {})
        view.structural_ok = False
        return None
    if not msg.keys() <= _MESSAGE:
        unexpected_keys(report, path, msg, _MESSAGE, "an RFT message")
        view.structural_ok = False
    role = msg.get("role")
    if "role" not in msg:
        missing_key(report, path, "role", "a message")
        view.structural_ok = False
        role = None
    elif role not in _ROLES:
        report(
            "S001",
            (*path, "role"),
            f"role must be 'system', 'user' or 'assistant', not {role!r}",
            {"role": str(role)[:50]},
        )
        view.structural_ok = False
        role = None
    if "name" in msg and not isinstance(msg["name"], str):
        report("S001", (*path, "name"), "'name' must be a string", {})
        view.structural_ok = False
    if "content" not in msg:
        missing_key(report, path, "content", "a message")
        view.structural_ok = False
        return role
    content = msg["content"]
    who = role or "?"
    if isinstance(content, str):
        view.segments.append(Segment((*path, "content"), who, content, False))
    elif isinstance(content, list):
        if not content:
            report("S004", (*path, "content"), f"{who} content is empty", {"role": who})
        for j, part in enumerate(content):
            _part(part, (*path, "content", j), who, view, report)
    else:
        report(
            "S001",
            (*path, "content"),
            "content must be a string or a list of {'type': 'text', 'text': ...} parts, not "
            f"{type_name(content)}",
            {"expected": "string or array", "actual": type_name(content)},
        )
        view.structural_ok = False
    return role


def _part(part: Any, path: Path, role: str, view: View, report: Report) -> None:
    if (
        isinstance(part, dict)
        and part.keys() == _PART
        and part["type"] == "text"
        and isinstance(part["text"], str)
    ):
        view.segments.append(Segment((*path, "text"), role, part["text"], False))
        return
    kind = part.get("type") if isinstance(part, dict) else None
    hint = (
        f" ({kind!r} parts are not supported: RFT data is text only)"
        if isinstance(kind, str) and kind != "text"
        else ""
    )
    report(
        "S001",
        path,
        f"each content part must be {{'type': 'text', 'text': '...'}}{hint}",
        {"part": kind if isinstance(kind, str) else type_name(part)},
    )
    view.structural_ok = False


def _order(roles: list[str | None], report: Report) -> None:
    """At least one user turn, and the last turn is the prompt the model answers: a trailing
    assistant turn would be an answer Bedrock's own response is appended after."""
    known = [r for r in roles if r is not None]
    if "user" not in known:
        report(
            "S003",
            ("messages",),
            "an RFT prompt needs a user turn (the task the model answers)",
            {"messages": len(roles)},
        )
        return
    last = roles[-1]
    if last == "assistant":
        report(
            "S003",
            ("messages", len(roles) - 1, "role"),
            "the last turn is an assistant answer: an RFT prompt ends with the turn the model "
            "answers; put the expected answer in reference_answer",
            {"index": len(roles) - 1, "role": last},
        )
