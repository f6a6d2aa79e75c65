"""The flat formats: prompt/completion, continued pre-training and image-caption records.

Each is an object of a few string keys and nothing else (extra keys are refused: the Claude
cookbook and the distillation schema forbid them and Bedrock's behaviour is unconfirmed).
"""

from __future__ import annotations

from typing import Any

from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import (
    Report,
    Segment,
    View,
    missing_key,
    unexpected_keys,
    wrong_type,
)

_PC_KEYS = frozenset({"prompt", "completion"})
_PROMPT: tuple[str | int, ...] = ("prompt",)
_COMPLETION: tuple[str | int, ...] = ("completion",)
_PT_KEYS = frozenset({"input"})
_IC_KEYS = frozenset({"image-ref", "caption"})


def _string_fields(
    obj: dict[str, Any],
    view: View,
    report: Report,
    fields: tuple[tuple[str, str, bool], ...],
    allowed: frozenset[str],
    where: str,
) -> View:
    for key, role, output in fields:
        if key not in obj:
            missing_key(report, (), key, where)
            view.structural_ok = False
            continue
        value = obj[key]
        if not isinstance(value, str):
            wrong_type(report, (key,), key, "a string", value)
            view.structural_ok = False
            continue
        view.segments.append(Segment((key,), role, value, output))
    if not obj.keys() <= allowed:
        unexpected_keys(report, (), obj, allowed, where)
        view.structural_ok = False
    return view


def analyze_prompt_completion(
    obj: dict[str, Any], profile: ModelProfile | None, report: Report
) -> View:
    view = View("prompt-completion")
    prompt, completion = obj.get("prompt"), obj.get("completion")
    if type(prompt) is str and type(completion) is str and len(obj) == 2:
        # The common record in one step; anything else takes the reporting walk below.
        view.segments = [
            Segment(_PROMPT, "prompt", prompt, False),
            Segment(_COMPLETION, "completion", completion, True),
        ]
        view.split = 1
        return view
    _string_fields(
        obj,
        view,
        report,
        (("prompt", "prompt", False), ("completion", "completion", True)),
        _PC_KEYS,
        "a prompt/completion record",
    )
    view.split = 1 if view.segments and not view.segments[0].output else 0
    return view


def analyze_pretraining(obj: dict[str, Any], profile: ModelProfile | None, report: Report) -> View:
    view = View("pretraining")
    _string_fields(
        obj, view, report, (("input", "input", False),), _PT_KEYS, "a continued pre-training record"
    )
    view.split = len(view.segments)
    return view


def analyze_image_caption(
    obj: dict[str, Any], profile: ModelProfile | None, report: Report
) -> View:
    from fineprep.formats.media import check_image_ref

    view = View("image-caption")
    _string_fields(
        obj, view, report, (("caption", "caption", False),), _IC_KEYS, "an image-caption record"
    )
    if "image-ref" not in obj:
        missing_key(report, (), "image-ref", "an image-caption record")
        view.structural_ok = False
    elif not isinstance(obj["image-ref"], str):
        wrong_type(report, ("image-ref",), "image-ref", "a string", obj["image-ref"])
        view.structural_ok = False
    else:
        check_image_ref(obj["image-ref"], view, profile, report)
    if "image-ref" in obj:
        # The image is part of the pair: one caption over two images is two records.
        view.add_other(-1, obj["image-ref"])
    view.split = len(view.segments)
    return view
