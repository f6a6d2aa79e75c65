"""A record as the conversation a person reads: who says what, and which files are attached.

The HTML report shows each finding's record this way instead of raw Bedrock JSON: one part per
turn or content block -- ``system``, ``user``, ``assistant`` text, ``[image: cat.png]``,
``[document: Invoice 7 (pdf)]``, tool calls -- for every record format (conversation and
distillation, claude-messages, prompt-completion, rft, pretraining, image-caption). The part
the finding's JSON path points into is marked, and its text is the window around the finding's
``position``. Text is masked and capped like every excerpt (:mod:`.excerpts`).

The walk is by shape, not by the format's validator: a record with errors is exactly the one
a labeller must read, so anything recognisable is shown and anything else is named by its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from fineprep.core.rules import Path, format_path
from fineprep.report.excerpts import EXCERPT_CHARS, clip

#: Characters shown of a part the finding is not about (the one it is about gets the full
#: excerpt), and parts shown of a long conversation.
OTHER_CHARS = 160
MAX_PARTS = 8
_TOP_LEVEL = (
    ("prompt", "prompt"), ("completion", "completion"), ("input", "input"),
    ("caption", "caption"), ("reference_answer", "reference answer"),
)  # fmt: skip


@dataclass(frozen=True)
class Part:
    role: str
    text: str
    #: The finding's JSON path points into this part.
    hit: bool = False
    #: ``text`` names an attachment or block (``[image: cat.png]``), it is not record text.
    media: bool = False


def conversation(
    raw: bytes, json_path: str | None, data: dict[str, Any] | None = None
) -> list[Part] | None:
    """The record's parts, or None when the line is not a JSON object of a known shape."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    found: list[tuple[str, str, Path, bool]] = []
    _walk(obj, found)
    if not found:
        return None
    hit_at = _hit(found, json_path)
    position = (data or {}).get("position")
    parts = []
    for i, (role, text, _, media) in enumerate(found):
        hit = i == hit_at
        chars = EXCERPT_CHARS if hit else OTHER_CHARS
        shown = clip(text, position if hit else None, chars).text
        parts.append(Part(role, shown, hit, media))
    return _shorten(parts, hit_at)


def _hit(found: list[tuple[str, str, Path, bool]], json_path: str | None) -> int | None:
    """The part the finding's path is in (or the first part under the path it names)."""
    if not json_path:
        return None
    for i, (_, _, path, _) in enumerate(found):
        own = format_path(path) or "$"
        if json_path == own or json_path.startswith((own + ".", own + "[")):
            return i
    for i, (_, _, path, _) in enumerate(found):
        own = format_path(path) or "$"
        if own.startswith((json_path + ".", json_path + "[")):
            return i
    return None


def _shorten(parts: list[Part], hit_at: int | None) -> list[Part]:
    """At most MAX_PARTS parts: the start, the part the finding is about, and the end."""
    if len(parts) <= MAX_PARTS:
        return parts
    keep = {0, 1, len(parts) - 3, len(parts) - 2, len(parts) - 1}
    if hit_at is not None:
        keep |= {hit_at - 1, hit_at, hit_at + 1}
    out: list[Part] = []
    for i, part in enumerate(parts):
        if i in keep:
            out.append(part)
        elif out and out[-1].role != "…":
            out.append(Part("…", "turns not shown", media=True))
    return out


def _walk(obj: dict[str, Any], out: list[tuple[str, str, Path, bool]]) -> None:
    system = obj.get("system")
    if isinstance(system, str):
        out.append(("system", system, ("system",), False))
    elif isinstance(system, list):
        for i, block in enumerate(system):
            _block("system", block, ("system", i), out)
    messages = obj.get("messages")
    if isinstance(messages, list):
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            role = str(message.get("role", "?"))
            content = message.get("content")
            if isinstance(content, str):
                out.append((role, content, ("messages", i, "content"), False))
            elif isinstance(content, list):
                for j, block in enumerate(content):
                    _block(role, block, ("messages", i, "content", j), out)
    for key, role in _TOP_LEVEL:
        value = obj.get(key)
        if isinstance(value, str):
            out.append((role, value, (key,), False))
        elif value is not None and key == "reference_answer":
            out.append((role, orjson.dumps(value).decode(), (key,), False))
    image = obj.get("image-ref")
    if isinstance(image, str):
        out.insert(0, ("image", f"[image: {_name(image)}]", ("image-ref",), True))


def _block(role: str, block: Any, path: Path, out: list[tuple[str, str, Path, bool]]) -> None:
    if isinstance(block, str):
        out.append((role, block, path, False))
        return
    if not isinstance(block, dict):
        return
    kind = block.get("type")
    if isinstance(block.get("text"), str) and kind in (None, "text"):
        out.append((role, block["text"], (*path, "text"), False))
        return
    for media in ("image", "video", "document"):
        if isinstance(block.get(media), dict):  # Bedrock Converse blocks
            out.append((role, f"[{media}: {_describe(block[media])}]", (*path, media), True))
            return
    if kind in ("image", "document"):  # Anthropic Messages blocks
        source = _dict(block.get("source"))
        title = block.get("title")
        what = str(title) if isinstance(title, str) else _source_name(source)
        out.append((role, f"[{kind}: {what}]", path, True))
        return
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, dict):
        text = (reasoning.get("reasoningText") or {}).get("text")
        if isinstance(text, str):
            out.append(
                ("reasoning", text, (*path, "reasoningContent", "reasoningText", "text"), False)
            )
            return
    if kind == "thinking" and isinstance(block.get("thinking"), str):
        out.append(("reasoning", block["thinking"], (*path, "thinking"), False))
        return
    tool = block.get("toolUse") if isinstance(block.get("toolUse"), dict) else None
    if tool is not None or kind == "tool_use":
        name = (tool or block).get("name")
        out.append((role, f"[tool call: {name or '?'}]", path, True))
        return
    if "toolResult" in block or kind == "tool_result":
        out.append((role, "[tool result]", path, True))
        return
    first = next(iter(block), "empty block")
    out.append((role, f"[{kind or first}]", path, True))


def _describe(media: dict[str, Any]) -> str:
    """``cat.png``, ``Invoice 7 (pdf)``, ``png bytes``: what a person would call the file."""
    name = media.get("name")
    fmt = media.get("format")
    source = _dict(media.get("source"))
    uri = _dict(source.get("s3Location")).get("uri")
    if isinstance(name, str):
        return f"{name} ({fmt})" if isinstance(fmt, str) else name
    if isinstance(uri, str):
        return _name(uri)
    if "bytes" in source:
        return f"{fmt} bytes" if isinstance(fmt, str) else "inline bytes"
    return str(fmt) if isinstance(fmt, str) else "no source"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _source_name(source: dict[str, Any]) -> str:
    if isinstance(source.get("url"), str):
        return _name(source["url"])
    media_type = source.get("media_type")
    kind = source.get("type")
    return " ".join(str(v) for v in (kind, media_type) if isinstance(v, str)) or "inline"


def _name(uri: str) -> str:
    """The file name of a URI (``s3://b/imgs/cat.png`` -> ``cat.png``), capped."""
    tail = uri.rstrip("/").rsplit("/", 1)[-1] or uri
    return tail if len(tail) <= 80 else tail[:79] + "…"
