"""What every record format provides: a structural walk that yields the record's text.

Each format's ``analyze`` walks a record once, reports structural problems (S001, S003, S006,
S007, S008) through a callback and returns a :class:`View`: the text segments with their JSON
paths and roles, and the media references. Every later check reads the view instead of
walking the record again, so adding a check costs one pass over the text, not over the JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fineprep.profiles import ModelProfile

Path = tuple[str | int, ...]
#: report(code, path, message, data)
Report = Callable[[str, Path, str, dict[str, Any]], None]

SCHEMA_VERSION = "bedrock-conversation-2024"

#: Bedrock's S3 URI pattern for data locations (CreateModelCustomizationJob).
S3_URI_PATTERN = (
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]"
    r"(?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
)


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
    """

    __slots__ = ("format", "media", "n_messages", "segments", "split", "structural_ok")

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.segments: list[Segment] = []
        self.media: list[Media] = []
        self.n_messages = 0
        self.split = 0
        self.structural_ok = True


@dataclass(frozen=True)
class FormatSpec:
    """A record format: its name, schema file and structural walk."""

    name: str
    schema: str
    description: str
    analyze: Callable[[dict[str, Any], ModelProfile | None, Report], View]
    example: str


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
