"""Claude 3 Haiku records: Anthropic messages with plain-string ``system`` and ``content``."""

from __future__ import annotations

from typing import Any

from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import (
    Report,
    Segment,
    View,
    check_turn_order,
    messages_of,
    missing_key,
    type_name,
    unexpected_keys,
    wrong_type,
)

_TOP = frozenset({"system", "messages"})
_MESSAGE = frozenset({"role", "content"})
_ROLES = ("user", "assistant")


def analyze_claude_messages(
    obj: dict[str, Any], profile: ModelProfile | None, report: Report
) -> View:
    view = View("claude-messages")
    if not obj.keys() <= _TOP:
        unexpected_keys(report, (), obj, _TOP, "a Claude messages record")
        view.structural_ok = False
    if "system" in obj:
        system = obj["system"]
        if isinstance(system, str):
            view.segments.append(Segment(("system",), "system", system, False))
        else:
            wrong_type(report, ("system",), "system", "a string", system)
            view.structural_ok = False
    messages = messages_of(obj, report, view, "a Claude messages record")
    if messages is None:
        return view
    roles: list[str | None] = []
    last_start = 0
    for i, msg in enumerate(messages):
        last_start = len(view.segments)
        path = ("messages", i)
        if not isinstance(msg, dict):
            report("S001", path, f"each message must be an object, not {type_name(msg)}", {})
            view.structural_ok = False
            roles.append(None)
            continue
        if not msg.keys() <= _MESSAGE:
            unexpected_keys(report, path, msg, _MESSAGE, "a message")
            view.structural_ok = False
        role = msg.get("role")
        if "role" not in msg:
            missing_key(report, path, "role", "a message")
            view.structural_ok = False
            role = None
        elif role not in _ROLES:
            hint = (
                (
                    " (Claude takes the system prompt in the top-level 'system' string, not as a"
                    " message)"
                )
                if role == "system"
                else ""
            )
            report(
                "S001",
                (*path, "role"),
                f"role must be 'user' or 'assistant', not {role!r}{hint}",
                {"role": str(role)[:50]},
            )
            view.structural_ok = False
            role = None
        roles.append(role)
        if "content" not in msg:
            missing_key(report, path, "content", "a message")
            view.structural_ok = False
            continue
        content = msg["content"]
        if isinstance(content, str):
            view.segments.append(
                Segment((*path, "content"), role or "?", content, role == "assistant")
            )
        else:
            view.add_other(i, content)
            wrong_type(
                report,
                (*path, "content"),
                "content",
                "a string (Claude 3 Haiku takes plain strings, not content blocks)",
                content,
            )
            view.structural_ok = False
    view.n_messages = len(messages)
    answered = bool(roles) and roles[-1] == "assistant"
    view.split = last_start if answered else len(view.segments)
    view.answer_from = len(messages) - 1 if answered else len(messages)
    check_turn_order(roles, report)
    return view
