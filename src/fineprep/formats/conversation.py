"""``bedrock-conversation-2024`` records (Nova, Llama 3.2/3.3) and the distillation rules.

One walk covers both: distillation is the same envelope with a stricter shape (one system
item, one text block per message, user turn required, assistant turn optional).
"""

from __future__ import annotations

from typing import Any

from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import (
    SCHEMA_VERSION,
    Path,
    Report,
    Segment,
    View,
    check_turn_order,
    messages_of,
    missing_key,
    type_name,
    unexpected_keys,
)
from fineprep.formats.media import media_block, record_media_limits

_TOP = frozenset({"schemaVersion", "system", "messages", "toolConfig"})
_DIST_TOP = frozenset({"schemaVersion", "system", "messages"})
_MESSAGE = frozenset({"role", "content"})
_ROLES = ("user", "assistant")
_UNSUPPORTED_BLOCKS = {
    "document": "document (PDF) blocks are not supported for Bedrock fine-tuning jobs",
    "toolUse": "tool-use blocks are not supported in Bedrock fine-tuning",
    "toolResult": "tool-result blocks are not supported in Bedrock fine-tuning",
}
_BLOCK_KEYS = frozenset({"text", "image", "video", "reasoningContent", *_UNSUPPORTED_BLOCKS})
_BLOCK_HELP = "exactly one of 'text', 'image', 'video' or 'reasoningContent'"


def analyze_conversation(obj: dict[str, Any], profile: ModelProfile | None, report: Report) -> View:
    view = _plain_conversation(obj)
    if view is not None:
        return view
    return _Walk(profile, report, distillation=False).record(obj)


def _plain_conversation(obj: dict[str, Any]) -> View | None:
    """The view of the common record in one tight pass, or None for the full walk.

    Handles exactly the shape the walk would pass without a finding: schemaVersion, at most
    one system text, two or more messages alternating user/assistant from user to assistant,
    each with only text blocks (media, reasoning, tools and anything odd take the full walk,
    which reports precisely). Most records of a dataset take this path; the view is the
    walk's, field for field (tested on the corpus).
    """
    if obj.get("schemaVersion") != SCHEMA_VERSION or not obj.keys() <= _DIST_TOP:
        return None
    messages = obj.get("messages")
    if type(messages) is not list or len(messages) < 2 or len(messages) % 2:
        return None
    view = View("conversation")
    segments = view.segments
    if "system" in obj:
        system = obj["system"]
        if type(system) is not list or len(system) > 1:
            return None
        for item in system:
            if type(item) is not dict or len(item) != 1 or type(item.get("text")) is not str:
                return None
            segments.append(Segment(("system", 0, "text"), "system", item["text"], False))
    last_start = 0
    for i, msg in enumerate(messages):
        if type(msg) is not dict or len(msg) != 2:
            return None
        role = msg.get("role")
        content = msg.get("content")
        if role != _ROLES[i % 2] or type(content) is not list or not content:
            return None
        output = i % 2 == 1
        last_start = len(segments)
        for j, block in enumerate(content):
            if type(block) is not dict or len(block) != 1:
                return None
            text = block.get("text")
            if type(text) is not str:
                return None
            segments.append(Segment(("messages", i, "content", j, "text"), role, text, output))
    view.n_messages = len(messages)
    view.split = last_start
    view.answer_from = len(messages) - 1
    return view


def analyze_distillation(obj: dict[str, Any], profile: ModelProfile | None, report: Report) -> View:
    return _Walk(profile, report, distillation=True).record(obj)


def is_reasoning_text(value: Any) -> bool:
    """Whether a ``reasoningContent`` block is ``{"reasoningText": {"text": str}}``, the one
    form Nova 2 fine-tuning takes (R6: only reasoningText, text only)."""
    inner = value.get("reasoningText") if isinstance(value, dict) else None
    return (
        isinstance(value, dict)
        and value.keys() == {"reasoningText"}
        and isinstance(inner, dict)
        and inner.keys() == {"text"}
        and isinstance(inner["text"], str)
    )


class _Walk:
    """One structural walk of one record, collecting segments and reporting problems."""

    def __init__(self, profile: ModelProfile | None, report: Report, distillation: bool) -> None:
        self.profile = profile
        self.report = report
        self.distillation = distillation
        self.view = View("distillation" if distillation else "conversation")

    def bad(self, path: Path, message: str, data: dict[str, Any] | None = None) -> None:
        self.report("S001", path, message, data or {})
        self.view.structural_ok = False

    def record(self, obj: dict[str, Any]) -> View:
        view, report = self.view, self.report
        allowed = _DIST_TOP if self.distillation else _TOP
        where = "a distillation record" if self.distillation else "a conversation record"
        if not obj.keys() <= allowed:
            unexpected_keys(report, (), obj, allowed, where)
            view.structural_ok = False
        self.schema_version(obj)
        if "toolConfig" in obj and not self.distillation:
            view.add_other(-1, obj["toolConfig"])
            if not isinstance(obj["toolConfig"], dict):
                self.bad(("toolConfig",), "toolConfig must be an object")
            report(
                "S008",
                ("toolConfig",),
                "toolConfig is not supported in Bedrock fine-tuning; it may fail the job",
                {},
            )
        if "system" in obj:
            self.system(obj["system"])
        messages = messages_of(obj, report, view, where)
        if messages is None:
            return view
        roles: list[str | None] = []
        last_start = 0
        for i, msg in enumerate(messages):
            last_start = len(view.segments)
            roles.append(self.message(msg, ("messages", i)))
        view.n_messages = len(messages)
        answered = bool(roles) and roles[-1] == "assistant"
        view.split = last_start if answered else len(view.segments)
        view.answer_from = len(messages) - 1 if answered else len(messages)
        check_turn_order(
            roles, report, allow_user_last=self.distillation, minimum=1 if self.distillation else 2
        )
        p = self.profile
        if (
            self.distillation
            and p is not None
            and not p.distillation_multi_turn
            and len(messages) > 2
        ):
            report(
                "S008",
                ("messages",),
                f"{p.name} distillation takes single-turn prompts only (one user turn and an "
                f"optional answer), not {len(messages)} messages",
                {"messages": len(messages), "limit": 2},
            )
        record_media_limits(view, p, report)
        return view

    def schema_version(self, obj: dict[str, Any]) -> None:
        if "schemaVersion" not in obj:
            self.report("S007", (), f"missing 'schemaVersion': {SCHEMA_VERSION!r}", {})
            self.view.structural_ok = False
            return
        value = obj["schemaVersion"]
        p = self.profile
        nova_like = p is not None and p.any_schema_version and not self.distillation
        if isinstance(value, str) and nova_like:
            return  # Nova takes any string here; distillation needs the exact value
        if value != SCHEMA_VERSION:
            shown = value if isinstance(value, str) else type_name(value)
            self.report(
                "S007",
                ("schemaVersion",),
                f"schemaVersion must be {SCHEMA_VERSION!r}, not {shown!r}",
                {"schemaVersion": shown[:100]},
            )
            self.view.structural_ok = False

    def system(self, system: Any) -> None:
        if not isinstance(system, list):
            self.bad(
                ("system",),
                f"'system' must be an array of {{'text': ...}} objects, not {type_name(system)}",
            )
            return
        if len(system) > 1 or (self.distillation and len(system) != 1):
            want = "exactly" if self.distillation else "at most"
            self.bad(
                ("system",),
                f"system must hold {want} one {{'text': ...}} item, not {len(system)}",
                {"items": len(system)},
            )
        for i, item in enumerate(system):
            path = ("system", i)
            if not isinstance(item, dict) or item.keys() != {"text"}:
                self.bad(path, "system items must be objects with exactly one key, 'text'")
            elif not isinstance(item["text"], str):
                self.bad((*path, "text"), f"'text' must be a string, not {type_name(item['text'])}")
            else:
                self.view.segments.append(Segment((*path, "text"), "system", item["text"], False))

    def message(self, msg: Any, path: Path) -> str | None:
        if not isinstance(msg, dict):
            self.bad(path, f"each message must be an object, not {type_name(msg)}")
            return None
        if not msg.keys() <= _MESSAGE:
            unexpected_keys(self.report, path, msg, _MESSAGE, "a message")
            self.view.structural_ok = False
        role = msg.get("role")
        if "role" not in msg:
            missing_key(self.report, path, "role", "a message")
            self.view.structural_ok = False
            role = None
        elif role not in _ROLES:
            hint = " (put system prompts in the top-level 'system' key)" if role == "system" else ""
            self.bad(
                (*path, "role"),
                f"role must be 'user' or 'assistant', not {role!r}{hint}",
                {"role": str(role)[:50]},
            )
            role = None
        if "content" not in msg:
            missing_key(self.report, path, "content", "a message")
            self.view.structural_ok = False
            return role
        content = msg["content"]
        if not isinstance(content, list) or not content:
            want = "a non-empty array of content blocks"
            if isinstance(content, str):
                want += ' ([{"text": ...}], not a plain string as in the Claude format)'
            self.bad((*path, "content"), f"content must be {want}")
            return role
        if self.distillation and len(content) != 1:
            self.bad(
                (*path, "content"),
                f"distillation messages hold exactly one text block, not {len(content)}",
                {"blocks": len(content)},
            )
        for j, block in enumerate(content):
            self.block(block, (*path, "content", j), role or "?", content, j)
        return role

    def block(self, block: Any, path: Path, role: str, content: list[Any], index: int) -> None:
        if not isinstance(block, dict):
            self.bad(path, f"each content block must be an object with {_BLOCK_HELP}")
            return
        keys = [k for k in block if not (self.distillation and k == "type")]
        if self.distillation and "type" in block and not isinstance(block["type"], str):
            self.bad((*path, "type"), "'type' must be a string")
        if len(keys) != 1:
            self.bad(path, f"each content block must be an object with {_BLOCK_HELP}")
            return
        key = keys[0]
        value = block[key]
        if key not in ("text", "reasoningContent"):
            self.view.add_other(int(path[1]), block)
        if key == "text":
            if isinstance(value, str):
                self.view.segments.append(
                    Segment((*path, "text"), role, value, role == "assistant")
                )
            else:
                self.bad((*path, "text"), f"'text' must be a string, not {type_name(value)}")
            return
        if self.distillation or key not in _BLOCK_KEYS:
            allowed = "'text'" if self.distillation else _BLOCK_HELP
            self.bad((*path, key), f"unknown content block {key!r} (use {allowed})", {"block": key})
            return
        if key in ("image", "video"):
            media_block(key, value, path, role, self.view, self.profile, self.report)
        elif key == "reasoningContent":
            self.reasoning(value, path, role, content, index)
        else:
            if not isinstance(value, dict):
                self.bad((*path, key), f"{key!r} must be an object")
            self.report("S008", (*path, key), _UNSUPPORTED_BLOCKS[key], {"block": key})

    def reasoning(self, value: Any, path: Path, role: str, content: list[Any], index: int) -> None:
        rpath = (*path, "reasoningContent")
        if not is_reasoning_text(value):
            self.bad(rpath, "reasoningContent must be {'reasoningText': {'text': '...'}}")
            return
        p, report = self.profile, self.report
        if p is not None and not p.reasoning:
            report(
                "S008",
                rpath,
                f"{p.name} does not take reasoningContent (only Nova 2 Lite does)",
                {"model": p.key},
            )
        if role != "assistant":
            report(
                "S008", rpath, "reasoningContent is allowed only in assistant turns", {"role": role}
            )
        nxt = content[index + 1] if index + 1 < len(content) else None
        if not (isinstance(nxt, dict) and "text" in nxt):
            report(
                "S008",
                rpath,
                "reasoningContent must be followed by a text block with the answer",
                {},
            )
        self.view.segments.append(
            Segment(
                (*rpath, "reasoningText", "text"),
                "reasoning",
                value["reasoningText"]["text"],
                role == "assistant",
            )
        )
