"""From options to a compiled mapping: which templates each target needs and what it refuses.

Combinations that cannot produce a valid record for the target (a system prompt in
prompt/completion, images in Claude messages, images for a text-only model) are configuration
errors here, before any row is read, rather than thousands of identical rejects.

Defaults: ``prompt`` and ``completion`` read the fields of those names, ``input`` (the
pre-training text) reads ``text`` (``document.text`` for Textract and IDP rows). The
pre-training chunk budget defaults to 85% of the model's per-record token limit: below
check's 90% near-limit warning (T004), with headroom because counts are estimates for
non-OpenAI tokenizers.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.profiles import ModelProfile
from fineprep.stages.convert.chunking import ChunkPolicy
from fineprep.stages.convert.local_media import LocalMedia
from fineprep.stages.convert.media import IMAGE_FORMATS, VIDEO_FORMATS, check_owner
from fineprep.stages.convert.options import ConvertOptions
from fineprep.stages.convert.sandbox import Budget
from fineprep.stages.convert.targets import TARGETS, Mapping
from fineprep.stages.convert.templates import Template, compile_template, field_getter, lookup

CHUNK_SHARE = 0.85

#: Options each target cannot use, with what to do instead.
_REFUSED = {
    "prompt-completion": {
        "system": "prompt/completion records have no system text: put it in --prompt",
        "images": "prompt/completion records cannot hold images: use --to conversation",
        "input": "--input is the pre-training text: use --prompt",
    },
    "claude-messages": {
        "images": "Claude 3 Haiku messages cannot hold images: use --to conversation",
        "input": "--input is the pre-training text: use --prompt",
    },
    "conversation": {"input": "--input is the pre-training text: use --prompt"},
    "rft": {
        "input": "--input is the pre-training text: use --prompt",
        "images": "RFT prompts are text only: drop --images",
        "completion": "RFT prompts have no completion: use --reference-answer FIELD",
        "completion_json": "RFT prompts have no completion: use --reference-answer FIELD",
    },
    "pretraining": {
        "prompt": "pre-training records have only 'input': use --input TEMPLATE",
        "completion": "pre-training records have no completion",
        "completion_json": "pre-training records have no completion",
        "system": "pre-training records have no system text",
        "images": "pre-training records cannot hold images",
    },
}
_CHUNK_OPTIONS = ("chunk_tokens", "overlap", "min_chunk_tokens")
#: Options that map a row's fields to the record; a chat source cannot use them (its records
#: bring their own turns), and giving one means a JSON input is read as fields, not as chat.
TEMPLATE_OPTIONS = ("prompt", "completion", "completion_json", "input", "images")


def _default_text(fields: dict[str, Any]) -> Any:
    """``text``, or ``document.text`` for Textract and IDP rows."""
    if "text" not in fields and isinstance(fields.get("document"), dict):
        return lookup(fields, "document.text")
    return lookup(fields, "text")


_DEFAULT_INPUT = Template("input", "text", "field", _default_text)


def default_target(profile: ModelProfile | None) -> str:
    """The target when none is given: the model's first record format we can write."""
    if profile is not None:
        for fmt in profile.formats:
            if fmt in TARGETS:
                return fmt
        raise ConfigError(f"fineprep convert cannot write a format {profile.name} accepts")
    raise ConfigError(
        "which record format? give --to (" + ", ".join(TARGETS) + ") or --model",
    )


def build_mapping(
    opts: ConvertOptions, target: str, profile: ModelProfile | None, *, chat: bool = False
) -> Mapping:
    """Compile the templates the target needs, refusing options it cannot use (``chat``: the
    rows come from a chat source and carry their turns)."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target format {target!r}", hint=f"use one of {TARGETS}")
    if profile is not None and not profile.accepts(target):
        raise ConfigError(
            f"{profile.name} does not take {target} records",
            hint=f"it takes {', '.join(profile.formats)}",
        )
    if chat:
        if target == "pretraining":
            raise ConfigError(
                "chat sources convert to conversation, claude-messages or "
                "prompt-completion records, not pre-training text"
            )
        for option in TEMPLATE_OPTIONS:
            if getattr(opts, option) is not None:
                flag = option.replace("_", "-")
                raise ConfigError(
                    f"--{flag} does not apply to chat sources: each record's turns come from "
                    "the file (--system gives a system prompt to records without one)"
                )
    for option, why in _REFUSED[target].items():
        if getattr(opts, option) is not None and not (chat and option == "system"):
            raise ConfigError(f"--to {target}: {why}")
    if target != "pretraining":
        for option in _CHUNK_OPTIONS:
            if getattr(opts, option):
                flag = option.replace("_", "-")
                raise ConfigError(f"--{flag} applies to --to pretraining only")
    if opts.completion is not None and opts.completion_json is not None:
        raise ConfigError("give --completion or --completion-json, not both")
    formats: tuple[str, ...] = ()
    if profile is not None and (opts.images or target == "conversation"):
        formats = (*profile.image_formats, *profile.video_formats)
        if opts.images and not formats:
            raise ConfigError(f"{profile.name} takes no images or videos: drop --images")
    elif target == "conversation":
        formats = (*dict.fromkeys(IMAGE_FORMATS.values()), *VIDEO_FORMATS)
    label, group, rid = (
        field_getter(name, value) if value else None
        for name, value in (("label", opts.label), ("group", opts.group), ("id", opts.id))
    )
    nulls = opts.null_as
    budget = Budget(opts.template_steps, opts.template_seconds)
    local = LocalMedia.parse(opts.media_dir, Path.cwd(), profile) if opts.media_dir else None
    if target == "rft":
        return Mapping(
            target,
            prompt=compile_template("prompt", opts.prompt, nulls, budget)
            if opts.prompt is not None
            else None,
            system=compile_template("system", opts.system, nulls, budget)
            if opts.system is not None
            else None,
            reference_answer=field_getter("reference-answer", opts.reference_answer)
            if opts.reference_answer
            else (field_getter("reference-answer", "reference_answer") if opts.prompt else None),
            grader_fields=tuple(_grader_field(spec) for spec in opts.grader_fields),
            label=label,
            group=group,
            id=rid,
        )
    if opts.reference_answer or opts.grader_fields:
        raise ConfigError("--reference-answer and --grader-field are for --to rft")
    if target == "pretraining":
        return Mapping(
            target,
            input=compile_template("input", opts.input, nulls, budget)
            if opts.input
            else replace(_DEFAULT_INPUT, null_as=nulls),
            label=label,
            group=group,
            id=rid,
        )
    system = (
        compile_template("system", opts.system, nulls, budget) if opts.system is not None else None
    )
    if chat:
        return Mapping(
            target,
            system=system,
            bucket_owner=check_owner(opts.bucket_owner),
            media_formats=formats,
            max_images=profile.max_images_per_record if profile else None,
            label=label,
            group=group,
            id=rid,
            chat=True,
            profile=profile,
            media_allowed=profile is None or bool(formats),
            local_media=local,
        )
    return Mapping(
        target,
        prompt=compile_template("prompt", opts.template("prompt", "prompt"), nulls, budget),
        completion=None
        if opts.completion_json
        else compile_template(
            "completion", opts.template("completion", "completion"), nulls, budget
        ),
        system=system,
        completion_json=field_getter("completion-json", opts.completion_json)
        if opts.completion_json
        else None,
        images=field_getter("images", opts.images) if opts.images else None,
        image_separator=opts.image_separator,
        bucket_owner=check_owner(opts.bucket_owner),
        media_formats=formats,
        max_images=profile.max_images_per_record if profile else None,
        max_videos=profile.max_videos_per_record if profile else None,
        label=label,
        group=group,
        id=rid,
        media_allowed=profile is None or bool(formats),
        local_media=local,
    )


def _grader_field(spec: str) -> tuple[str, str]:
    """``difficulty`` or ``level=difficulty``: the record key and the source field."""
    name, _, source = spec.partition("=")
    name, source = name.strip(), (source or name).strip()
    if not name or not source or name in ("messages", "reference_answer"):
        raise ConfigError(f"--grader-field {spec!r}: expected NAME or NAME=FIELD (not messages)")
    return name, source


def chunk_policy(
    opts: ConvertOptions, profile: ModelProfile | None, settings: Settings
) -> ChunkPolicy:
    """The per-record budget for pre-training chunks (tokens, characters, overlap)."""
    limit = profile.record_token_limit(settings.batch_size()) if profile else None
    if opts.chunk_tokens:
        if limit is not None and opts.chunk_tokens > limit:
            raise ConfigError(
                f"--chunk-tokens {opts.chunk_tokens} is over {profile.name if profile else ''}'s "
                f"per-record limit of {limit} tokens"
            )
        budget = opts.chunk_tokens
    elif limit is not None:
        budget = math.floor(limit * CHUNK_SHARE)
    else:
        raise ConfigError(
            "pre-training chunks need a token budget: give --model (its per-record limit) "
            "or --chunk-tokens N"
        )
    for name, value in (("overlap", opts.overlap), ("min-chunk-tokens", opts.min_chunk_tokens)):
        if value > budget // 2:
            raise ConfigError(f"--{name} {value} must be at most half the chunk budget ({budget})")
    encoding = settings.encoding or (profile.encoding if profile else "cl100k_base")
    return ChunkPolicy(
        max_tokens=budget,
        max_chars=profile.max_record_chars if profile else None,
        overlap=opts.overlap,
        min_tokens=opts.min_chunk_tokens,
        encoding=encoding,
    )
