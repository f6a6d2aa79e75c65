"""Is a CreateModelCustomizationJob request one Bedrock accepts? The API first, then the model.

The first gate is the API itself, as botocore's service model states it: botocore's own
parameter validation (types, required members, minimums), then the patterns, lengths and enums
of the same model that botocore leaves to the service. Whatever passes there is a request the
API takes (``customizationType`` may be left out, a custom-model ARN may be the base, numbers
may be written in any form), so the second gate adds only what Bedrock documents per model:
customization types, validation sets, hyperparameter ranges, distillation teachers, RFT.
Without botocore (no ``aws`` extra) the published ``schemas/job-request.schema.json`` stands in
for the service model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import (
    ModelProfile,
    get_profile,
    teacher_source,
    teachers_via_inference_profile,
)
from fineprep.core.schemas import first_schema_error

#: The API's default when a request leaves ``customizationType`` out.
DEFAULT_TYPE = "FINE_TUNING"
DISTILLATION = "DISTILLATION"
_CUSTOM_MODEL = re.compile(r"arn:aws(-[^:]+)?:bedrock:([a-z0-9-]+):\d{12}:custom-model/")
_GEO = re.compile(r"[a-z]{2,7}(-[a-z]+)?\.(?=[a-z0-9-]+\.)")

#: The jobName pattern of the service model, and a form that matches exactly the same strings
#: in linear time. In the original, ``-*`` and the class after it both take ``-``, so a
#: backtracking matcher tries every way to split a run of dashes: "a" + 28 dashes + "_" took
#: 31 seconds and 40 dashes never finished. Each ``-*X`` step can take its dashes one ``X`` at
#: a time, so ``(-*X)*`` is ``X*`` (tests/unit/test_api_patterns.py checks it on every short
#: string). The other patterns of the request were measured on adversarial input and are
#: linear or bounded as they are.
JOB_NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*"
_LINEAR = {JOB_NAME_PATTERN: r"[a-zA-Z0-9][a-zA-Z0-9+\-.]*"}


@lru_cache(maxsize=1)
def _input_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock")
    return model.operation_model("CreateModelCustomizationJob").input_shape


#: Stands in for the role a written request may still lack (``launch --role-arn`` adds it).
_ROLE_PLACEHOLDER = "arn:aws:iam::000000000000:role/placeholder"


def api_problem(req: dict[str, Any]) -> str | None:
    """Why the API would refuse ``req`` by its shape, or None. A request without ``roleArn``
    is judged as if it had one: the role is given when the job is submitted."""
    if "roleArn" not in req:
        req = {**req, "roleArn": _ROLE_PLACEHOLDER}
    try:
        from botocore.validate import ParamValidator
    except ImportError:
        return first_schema_error("job-request", req)
    shape = _input_shape()
    report = ParamValidator().validate(req, shape)
    if report.has_errors():
        lines = [
            line.strip()
            for line in report.generate_report().splitlines()
            if line.strip() and not line.startswith("Parameter validation failed")
        ]
        return lines[0] if lines else "invalid request"
    return _constraints(req, shape, "$")


def _constraints(value: Any, shape: Any, path: str) -> str | None:
    """The service model's string patterns, maximum lengths and enums (botocore checks types
    and minimums only)."""
    meta = getattr(shape, "metadata", {}) or {}
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                problem = _constraints(value[name], member, f"{path}.{name}")
                if problem:
                    return problem
    elif kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            problem = _constraints(item, shape.member, f"{path}[{i}]")
            if problem:
                return problem
        if "max" in meta and len(value) > meta["max"]:
            return f"{path}: at most {meta['max']} items"
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            problem = _constraints(item, shape.value, f"{path}.{key}")
            if problem:
                return problem
    elif kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            return f"{path}: at most {meta['max']} characters"
        pattern = meta.get("pattern")
        if pattern and not api_pattern(pattern).fullmatch(value):
            return f"{path}: {value[:100]!r} does not match the API's pattern {pattern[:120]}"
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            return f"{path}: {value!r} is not one of {', '.join(enum)}"
    return None


@lru_cache(maxsize=64)
def api_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled check for one service-model pattern: its linear-time equivalent where the
    original makes Python's backtracking matcher take exponential time."""
    return re.compile(_LINEAR.get(pattern, pattern))


def custom_model_region(identifier: str) -> str | None:
    """The region of a custom-model ARN used as the base model, or None for a base model."""
    match = _CUSTOM_MODEL.match(identifier)
    return match.group(2) if match else None


def teacher_model(identifier: str) -> tuple[str | None, bool]:
    """``(foundation model ID, through an inference profile)`` of a teacher identifier: a model
    ID, an inference-profile ID (``us.amazon.nova-premier-v1:0``) or ARN, or a foundation-model
    ARN. An application inference profile hides its model: ``(None, True)``."""
    text = identifier.strip()
    if ":application-inference-profile/" in text:
        return None, True
    if ":inference-profile/" in text:
        text, via_profile = text.rsplit(":inference-profile/", 1)[1], True
    elif "foundation-model/" in text:
        text, via_profile = text.rsplit("foundation-model/", 1)[1], False
    else:
        via_profile = False
    geo = _GEO.match(text)
    if geo:
        return text[geo.end() :], True
    return text, via_profile


def check_teacher(profile: ModelProfile, identifier: str, where: str) -> None:
    """The distillation page's rules: which teachers teach which students, and which of them
    only through an inference profile."""
    model, via_profile = teacher_model(identifier)
    if model is None:
        return  # an application inference profile: its model is known only to Bedrock
    allowed = profile.distillation_teachers
    if allowed and model not in allowed:
        usable = [teacher_id(m, profile) for m in allowed]  # the forms this check accepts
        raise ConfigError(
            f"{where}: {identifier} cannot teach {profile.name}", hint=f"use {', '.join(usable)}"
        )
    if model in teachers_via_inference_profile() and not via_profile:
        raise ConfigError(
            f"{where}: {model} is reached only through an inference profile ({teacher_source()})",
            hint=f"name it by an inference-profile ID such as {teacher_id(model, profile)} or "
            "its ARN",
        )


#: The geography prefix of cross-region inference-profile IDs, by the region's first part.
_GEOGRAPHY = {"us": "us", "eu": "eu", "ap": "apac", "ca": "ca"}


def teacher_id(model: str, profile: ModelProfile) -> str:
    """How to name teacher ``model`` in a request: its model ID, or, for a teacher reached only
    through an inference profile, the profile ID of the student's region (``us.`` for
    us-east-1), so that a hint never recommends an ID the check then refuses."""
    if model not in teachers_via_inference_profile():
        return model
    region = profile.region or (profile.regions[0] if profile.regions else "us-east-1")
    return f"{_GEOGRAPHY.get(region.split('-')[0], 'us')}.{model}"


def check_base_id(profile: ModelProfile, identifier: str, where: str) -> None:
    """The base model named as Bedrock lists it for customization. The fine-tuning and
    distillation pages give text models only by their customization IDs, which carry the
    context suffix (``amazon.nova-lite-v1:0:300k``); the inference ID (``amazon.nova-lite-v1:0``)
    finds the same profile here but is not the model Bedrock customizes. A foundation-model ARN
    is judged by the ID it ends in. (A bare short name is left alone: the API's pattern also
    takes custom-model names there.)"""
    text, prefix = identifier.strip(), ""
    if "foundation-model/" in text:
        head, text = text.rsplit("foundation-model/", 1)
        prefix = head + "foundation-model/"
    if text == profile.base_model_id or text != profile.id_without_context:
        return
    right = prefix + profile.base_model_id
    raise ConfigError(
        f"{where}: baseModelIdentifier {identifier!r} is the inference ID of {profile.name}; "
        f"its customization ID is {right!r}",
        hint=f"set baseModelIdentifier to {right}",
    )


def base_profile(req: dict[str, Any]) -> ModelProfile | None:
    """The base model's profile, or None when the base is a custom model (its own base is
    known only to Bedrock: see :func:`fineprep.stages.launch.submit.launch`)."""
    base = req["baseModelIdentifier"]
    return None if custom_model_region(base) else get_profile(base)
