"""Typed decoders for the common record of each text format (and of a sidecar line): parse
and validate in one step.

Most records of a dataset are valid and share one shape. A msgspec decoder of that shape
(``forbid_unknown_fields``, every value a string) checks the structure while it parses, in C,
at about the speed of a bare JSON parse, and the view is built straight from the decoded
strings: no dict, no walk, no second look for long integers (a record of strings holds no
number at all). Anything else (a missing or extra key, another type, media, reasoning, tools,
turns out of order, invalid JSON) makes the decoder return None, and the record takes the
parse-and-walk path, which says precisely what is wrong. The views are the walk's, field for
field, and the findings of a run are the same with or without these decoders (tested on the
whole corpus).

Used from a file's (or partition's) ``FAST_AFTER``-th record on, so the records that decide
the format and the model checks are always walked and a small file never imports msgspec; see
:func:`fineprep.stages.check.records.stream_records`. A declined line is parsed again by orjson:
msgspec stops at the first field that does not fit, so that costs a fraction of a parse.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from fineprep.core.model import RecordMeta
from fineprep.formats.base import SCHEMA_VERSION, Segment, View

_PROMPT: tuple[str | int, ...] = ("prompt",)
_COMPLETION: tuple[str | int, ...] = ("completion",)
_INPUT: tuple[str | int, ...] = ("input",)
_SYSTEM: tuple[str | int, ...] = ("system", 0, "text")
_ROLES = ("user", "assistant")


class _PromptCompletion(msgspec.Struct, forbid_unknown_fields=True):
    prompt: str
    completion: str


class _Pretraining(msgspec.Struct, forbid_unknown_fields=True):
    input: str


class _Text(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class _Message(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["user", "assistant"]
    content: list[_Text]


class _Conversation(msgspec.Struct, forbid_unknown_fields=True):
    schemaVersion: Literal["bedrock-conversation-2024"]
    messages: list[_Message]
    system: list[_Text] = []


assert SCHEMA_VERSION == "bedrock-conversation-2024"  # the Literal above spells it out

_pc = msgspec.json.Decoder(_PromptCompletion).decode
_pt = msgspec.json.Decoder(_Pretraining).decode
_conv = msgspec.json.Decoder(_Conversation).decode


def prompt_completion(raw: bytes) -> View | None:
    try:
        rec = _pc(raw)
    except msgspec.DecodeError:
        return None
    view = View("prompt-completion")
    view.segments = [
        Segment(_PROMPT, "prompt", rec.prompt, False),
        Segment(_COMPLETION, "completion", rec.completion, True),
    ]
    view.split = 1
    return view


def pretraining(raw: bytes) -> View | None:
    try:
        rec = _pt(raw)
    except msgspec.DecodeError:
        return None
    view = View("pretraining")
    view.segments = [Segment(_INPUT, "input", rec.input, False)]
    view.split = 1
    return view


def conversation(raw: bytes) -> View | None:
    """Exactly the shape the one-pass view of ``formats.conversation`` takes: at most one
    system text, two or more messages alternating user/assistant from user to assistant,
    each a non-empty list of text blocks."""
    try:
        rec = _conv(raw)
    except msgspec.DecodeError:
        return None
    messages = rec.messages
    if len(messages) < 2 or len(messages) % 2 or len(rec.system) > 1:
        return None
    view = View("conversation")
    segments = view.segments
    if rec.system:
        segments.append(Segment(_SYSTEM, "system", rec.system[0].text, False))
    last_start = 0
    for i, msg in enumerate(messages):
        role = msg.role
        if role != _ROLES[i % 2] or not msg.content:
            return None
        output = i % 2 == 1
        last_start = len(segments)
        for j, block in enumerate(msg.content):
            path = ("messages", i, "content", j, "text")
            segments.append(Segment(path, role, block.text, output))
    view.n_messages = len(messages)
    view.split = last_start
    view.answer_from = len(messages) - 1
    return view


class _Meta(msgspec.Struct, forbid_unknown_fields=True):
    id: str | None = None
    label: str | None = None
    group: str | None = None
    source: str | None = None


_meta = msgspec.json.Decoder(_Meta).decode


def sidecar(raw: bytes) -> RecordMeta | None:
    """A sidecar line of string (or null) ``id``, ``label``, ``group`` and ``source`` only, as
    :meth:`RecordMeta.from_dict` reads it; None for anything else (numbers, lists, other keys,
    invalid JSON), which takes the general path."""
    try:
        rec = _meta(raw)
    except msgspec.DecodeError:
        return None
    return RecordMeta(rec.id, rec.label, rec.group, rec.source, {})
