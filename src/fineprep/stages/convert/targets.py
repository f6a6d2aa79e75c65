"""Bedrock records from source rows, one builder per target format.

Records carry only the keys Bedrock documents for the format (``schemaVersion``, ``system``,
``messages``; ``prompt``/``completion``; ``input``), in the order AWS shows them. Everything
else about a row (label, group, id, where it came from) goes to the sidecar, so the file that
is uploaded is exactly the file that was checked. Rows of chat sources bring their own turns
and are built by :mod:`.chat_records`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import SCHEMA_VERSION
from fineprep.stages.convert.chat_records import chat_record
from fineprep.stages.convert.local_media import LocalMedia
from fineprep.stages.convert.media import media_block, split_uris
from fineprep.stages.convert.sources.base import SourceRow
from fineprep.stages.convert.templates import RowError, Template, canonical_json

TARGETS = ("prompt-completion", "conversation", "claude-messages", "pretraining", "rft")


@dataclass(frozen=True)
class Mapping:
    """How to build one target format's records from a row (compiled templates)."""

    target: str
    prompt: Template | None = None
    completion: Template | None = None
    system: Template | None = None
    input: Template | None = None
    completion_json: Template | None = None
    images: Template | None = None
    image_separator: str | None = None
    bucket_owner: str | None = None
    media_formats: tuple[str, ...] = ()
    max_images: int | None = None
    max_videos: int | None = None
    label: Template | None = None
    group: Template | None = None
    id: Template | None = None
    #: rft: the reference answer's field and the grader fields (record key, source field).
    reference_answer: Template | None = None
    grader_fields: tuple[tuple[str, str], ...] = ()
    #: Rows carry their turns (a chat source): the templates above give only the fallback
    #: system prompt and the sidecar fields.
    chat: bool = False
    profile: ModelProfile | None = None
    #: False when the model is known to take no images or videos (text-only models).
    media_allowed: bool = True
    #: Media prepared locally (``--media-dir``): their files are checked before writing.
    local_media: LocalMedia | None = None


def build_record(mapping: Mapping, row: SourceRow) -> dict[str, Any]:
    """The Bedrock record for a row (all targets but pretraining, which is chunked)."""
    fields = row.fields
    target = mapping.target
    if target == "pretraining":
        return {"input": input_text(mapping, row)}
    if target == "rft":
        from fineprep.stages.convert.rft import rft_record

        return rft_record(
            mapping.prompt.text(fields) if mapping.prompt else None,
            mapping.system.text(fields, allow_empty=True) if mapping.system else "",
            mapping.reference_answer.render(fields) if mapping.reference_answer else None,
            fields,
            mapping.grader_fields,
        )
    if mapping.chat:
        chat = fields["chat"]
        system = chat["system"]
        if not _has_text(system) and mapping.system is not None:
            system = mapping.system.text(fields, allow_empty=True)
        media = (
            mapping.bucket_owner,
            mapping.media_formats,
            mapping.max_images,
            mapping.media_allowed,
            mapping.local_media,
        )
        return chat_record(target, chat, system, media, mapping.profile)
    assert mapping.prompt is not None
    if row.images and target != "conversation":
        raise RowError(
            f"the row has {len(row.images)} page images, which {target} records cannot hold "
            "(use --to conversation with a model that takes images)"
        )
    prompt = mapping.prompt.text(fields)
    completion = completion_text(mapping, fields)
    system = mapping.system.text(fields, allow_empty=True) if mapping.system else ""
    if target == "prompt-completion":
        return {"prompt": prompt, "completion": completion}
    if target == "claude-messages":
        out: dict[str, Any] = {"system": system} if _has_text(system) else {}
        out["messages"] = [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": completion},
        ]
        return out
    record: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION}
    if _has_text(system):
        record["system"] = [{"text": system}]
    user = _media(mapping, row)
    user.append({"text": prompt})
    record["messages"] = [
        {"role": "user", "content": user},
        {"role": "assistant", "content": [{"text": completion}]},
    ]
    return record


def _media(mapping: Mapping, row: SourceRow) -> list[dict[str, Any]]:
    if mapping.images is None and not row.images:
        return []
    if not mapping.media_allowed:
        raise RowError(
            f"the row has {len(row.images)} page images, and the model takes no images; "
            "convert for a model that takes images, or leave the page images out"
        )
    local = mapping.local_media
    blocks = [
        media_block(
            local.resolve(uri) if local else uri, mapping.bucket_owner, mapping.media_formats
        )
        for uri in media_uris(mapping, row)
    ]
    for kind, limit in (("image", mapping.max_images), ("video", mapping.max_videos)):
        n = sum(1 for b in blocks if kind in b)
        if limit is not None and n > limit:
            raise RowError(f"{n} {kind}s in one record; the model takes at most {limit}")
    return blocks


def _has_text(text: str) -> bool:
    """Not empty and not only whitespace, without copying the text (unlike ``strip``)."""
    return bool(text) and not text.isspace()


def input_text(mapping: Mapping, row: SourceRow) -> str:
    assert mapping.input is not None
    return mapping.input.text(row.fields)


def completion_text(mapping: Mapping, fields: dict[str, Any]) -> str:
    """The answer; structured answers become canonical JSON that is known to parse."""
    if mapping.completion_json is None:
        assert mapping.completion is not None
        return mapping.completion.text(fields)
    name = mapping.completion_json.source
    value = mapping.completion_json.render(fields)
    if isinstance(value, str):
        try:
            value = jsonexact.loads(value)
        except orjson.JSONDecodeError as exc:
            raise RowError(f"field {name!r} is not valid JSON ({str(exc).split(':')[0]})") from None
    if value is None:
        raise RowError(f"field {name!r} is null, not a JSON answer")
    return canonical_json(value)


def media_uris(mapping: Mapping, row: SourceRow) -> list[str]:
    """The row's media: the ``images`` field's URIs, then the reader's page images."""
    uris: list[str] = []
    if mapping.images is not None:
        value = mapping.images.render(row.fields)
        uris.extend(split_uris(value, mapping.image_separator, mapping.images.source))
    for uri in row.images:
        if uri not in uris:
            uris.append(uri)
    return uris


def row_meta(mapping: Mapping, row: SourceRow) -> tuple[str | None, Any, str | None]:
    """``(id, label, group)`` for the sidecar; a named field that is missing rejects the row."""
    rid = _scalar(mapping.id.render(row.fields)) if mapping.id else None
    label = mapping.label.render(row.fields) if mapping.label else None
    group = _scalar(mapping.group.render(row.fields)) if mapping.group else None
    return rid, _json_safe(label), group


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    return str(value)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)
