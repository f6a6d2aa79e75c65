"""What every record format provides: a structural walk that yields the record's text.

Each format's ``analyze`` walks a record once, reports structural problems (S001, S003, S006,
S007, S008) through a callback and returns a :class:`View`: the text segments with their JSON
paths and roles, and the media references. Every later check reads the view instead of
walking the record again, so adding a check costs one pass over the text, not over the JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson

from fineprep.core import jsonexact
from fineprep.core.hashing import hash_bytes, hash_texts
from fineprep.core.model import RecordMeta
from fineprep.core.profiles import ModelProfile

Path = tuple[str | int, ...]
#: report(code, path, message, data)
Report = Callable[[str, Path, str, dict[str, Any]], None]

SCHEMA_VERSION = "bedrock-conversation-2024"


class Segment:
    """One text field of a record: where it is, whose turn it is, and the text."""

    __slots__ = ("output", "path", "role", "text")

    def __init__(self, path: Path, role: str, text: str, output: bool) -> None:
        self.path = path
        self.role = role
        self.text = text
        self.output = output


class Media:
    """An image or video reference (S3 URI) inside a record."""

    __slots__ = ("bucket_owner", "format", "kind", "path", "uri")

    def __init__(
        self, path: Path, kind: str, fmt: str | None, uri: str | None, bucket_owner: str | None
    ) -> None:
        self.path = path
        self.kind = kind
        self.format = fmt
        self.uri = uri
        self.bucket_owner = bucket_owner


class View:
    """The result of a structural walk: text segments, media, and whether structure is sound.

    ``split`` divides the segments into the context (``segments[:split]``) and the final answer
    (``segments[split:]``): duplicates and conflicting labels compare on those two halves.

    ``others`` is the record's non-text content (image, video and document blocks, tool blocks,
    tool definitions), each as ``(message index, canonical JSON)``, the index ``-1`` for
    record-level content; ``answer_from`` is the index of the message the final answer starts
    in. They make two records that share their text but not their images different records.
    """

    __slots__ = (
        "answer_from",
        "format",
        "media",
        "n_messages",
        "others",
        "segments",
        "split",
        "structural_ok",
    )

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.segments: list[Segment] = []
        self.media: list[Media] = []
        self.others: list[tuple[int, bytes]] = []
        self.answer_from = 0
        self.n_messages = 0
        self.split = 0
        self.structural_ok = True

    def add_other(self, message: int, value: Any) -> None:
        """Record non-text content (any JSON value) as part of the record's identity."""
        self.others.append((message, canonical_json(value)))

    def identity_hashes(self) -> tuple[int, int]:
        """Hashes of the context (everything before the final answer) and of the answer: text
        with roles, and every non-text part on its side. Duplicates, conflicting labels and
        leakage compare records by these."""
        segs, split = self.segments, self.split
        if not self.others:
            return hash_texts(segs[:split]), hash_texts(segs[split:])
        first = self.answer_from
        before = [c for m, c in self.others if m < first]
        after = [c for m, c in self.others if m >= first]
        return hash_texts(segs[:split], before), hash_texts(segs[split:], after)

    def others_hash(self) -> int:
        """One hash of all non-text content (0 when there is none)."""
        if not self.others:
            return 0
        return hash_bytes(b"\x1d".join(c for _, c in self.others))


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no whitespace: equal values give equal bytes."""
    try:
        return jsonexact.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError):  # not JSON at all (a NaN, a non-string key): still a key
        return repr(value).encode("utf-8", "surrogatepass")


Analyze = Callable[[dict[str, Any], "ModelProfile | None", Report], View]
#: raw line -> the record's view, or None when the record needs the walk.
FastDecode = Callable[[bytes], "View | None"]


@dataclass(frozen=True)
class FormatSpec:
    """A record format: its name, schema file and structural walk.

    The walk is named by module and function (``"fineprep.formats.simple:analyze_pretraining"``)
    and imported on first use, so checking a file of one format loads only that format's code.
    """

    name: str
    schema: str
    description: str
    walker: str
    example: str
    #: A typed decoder of the format's common valid record (raw line -> view, or None to
    #: walk it), named like ``walker``; empty when every record is walked.
    fast: str = ""

    @property
    def analyze(self) -> Analyze:
        return cast(Analyze, _load(self.walker))

    @property
    def fast_decode(self) -> FastDecode | None:
        return cast(FastDecode, _load(self.fast)) if self.fast else None


_LOADED: dict[str, Any] = {}


def _load(name: str) -> Any:
    found = _LOADED.get(name)
    if found is None:
        from importlib import import_module

        module, _, function = name.partition(":")
        found = _LOADED[name] = getattr(import_module(module), function)
    return found


def type_name(value: Any) -> str:
    """JSON's name for a Python value, for messages users understand."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def wrong_type(report: Report, path: Path, key: str, want: str, value: Any) -> None:
    report(
        "S001",
        path,
        f"{key!r} must be {want}, not {type_name(value)}",
        {"expected": want, "actual": type_name(value)},
    )


def unexpected_keys(
    report: Report, path: Path, obj: dict[str, Any], allowed: frozenset[str], where: str
) -> None:
    for key in obj:
        if key not in allowed:
            report(
                "S001",
                (*path, key),
                f"unexpected key {key!r} in {where}",
                {"key": key, "allowed": sorted(allowed)},
            )


def missing_key(report: Report, path: Path, key: str, where: str) -> None:
    report("S001", path, f"missing required key {key!r} in {where}", {"key": key})


def messages_of(obj: dict[str, Any], report: Report, view: View, where: str) -> list[Any] | None:
    """The record's ``messages`` array, or None after reporting why it is missing or not a list.

    Both chat formats stop walking a record without a usable array: every later rule is about
    the turns, so further findings would only repeat this one.
    """
    if "messages" not in obj:
        missing_key(report, (), "messages", where)
        view.structural_ok = False
        return None
    messages = obj["messages"]
    if not isinstance(messages, list):
        wrong_type(report, ("messages",), "messages", "an array", messages)
        view.structural_ok = False
        return None
    return messages


# Turn order, shared by the chat formats (S003).


def check_turn_order(
    roles: list[str | None], report: Report, *, allow_user_last: bool = False, minimum: int = 2
) -> None:
    """First turn user, strictly alternating, last assistant, at least ``minimum`` messages.

    Roles that were already reported as invalid are ``None`` and are skipped, so one bad role
    does not produce a cascade of order findings.
    """
    if len(roles) < minimum:
        report(
            "S003",
            ("messages",),
            f"a record needs at least {minimum} message{'s' if minimum > 1 else ''} "
            f"(user, then assistant), found {len(roles)}",
            {"messages": len(roles), "minimum": minimum},
        )
        return
    if roles[0] is not None and roles[0] != "user":
        report(
            "S003",
            ("messages", 0, "role"),
            f"the first turn must be 'user', not {roles[0]!r}",
            {"index": 0, "role": roles[0]},
        )
    for i in range(1, len(roles)):
        prev, cur = roles[i - 1], roles[i]
        if prev is not None and cur is not None and prev == cur:
            report(
                "S003",
                ("messages", i, "role"),
                f"turns must alternate user/assistant: message {i} repeats {cur!r}",
                {"index": i, "role": cur},
            )
    last = roles[-1]
    if last is not None and last != "assistant" and not (allow_user_last and len(roles) % 2 == 1):
        report(
            "S003",
            ("messages", len(roles) - 1, "role"),
            f"the last turn must be 'assistant', not {last!r}"
            + (
                ""
                if allow_user_last
                else " (for a distillation prompt file use --format distillation)"
            ),
            {"index": len(roles) - 1, "role": last},
        )


# Where a record's label and answer come from (C003, class balance, splits). A label lives in
# the sidecar (``label``) when the data was converted by fineprep; for classification data
# written by hand (no sidecar) it is the answer text itself.

Label = str | tuple[str, ...] | None


def answer_text(view: View) -> str | None:
    """The final answer (completion, last assistant turn without reasoning), or None."""
    parts = [s.text for s in view.segments[view.split :] if s.role != "reasoning"]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "\n".join(parts)


def normalise_label(value: Any) -> Label:
    """Sidecar labels may be strings, numbers or lists (multi-label)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return str(value)


def sidecar_decides(meta: RecordMeta | None, label_from: str, has_sidecar: bool = False) -> bool:
    """Whether the label comes from the sidecar alone (then the record need not be walked):
    also for a record of a file with a sidecar whose own line is missing or unreadable (S009
    says so; its answer is not a class either)."""
    return label_from == "meta" or (label_from == "auto" and (meta is not None or has_sidecar))


def record_label(
    view: View, meta: RecordMeta | None, label_from: str = "auto", has_sidecar: bool = False
) -> Label:
    if sidecar_decides(meta, label_from, has_sidecar):
        # A sidecar is authoritative: a record it leaves unlabelled has no label, rather than
        # one guessed from its answer (a converted document's answer is not a class).
        return normalise_label(meta.label) if meta is not None else None
    text = answer_text(view)
    return text.strip() if text is not None else None
