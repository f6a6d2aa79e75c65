"""The CreateModelCustomizationJob request: built from a dataset and options, and checked.

``fineprep upload`` writes the request (``job-request.json``) next to the manifest, so the
exact request can be reviewed, versioned and submitted later (by ``fineprep launch`` or
``aws bedrock create-model-customization-job --cli-input-json``). Everything Bedrock would
refuse after minutes of queueing is refused here first: names against the API patterns,
hyperparameters against the model's ranges, customization type against the model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError, InputError
from fineprep.core.limits import CUSTOMIZATION_BY_FORMAT, RFT
from fineprep.core.profiles import ModelProfile
from fineprep.stages.launch.idempotency import data_part, request_token
from fineprep.stages.launch.numbers import parse_number, plain
from fineprep.stages.launch.rft import rft_config, validate_rft
from fineprep.stages.launch.validate import (
    DEFAULT_TYPE,
    DISTILLATION,
    api_problem,
    base_profile,
    check_base_id,
    check_teacher,
)

CUSTOMIZATION = CUSTOMIZATION_BY_FORMAT


@dataclass
class JobOptions:
    """What the user chooses about the job; unset values get model-derived defaults."""

    job_name: str | None = None
    custom_model_name: str | None = None
    role_arn: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    output_uri: str | None = None
    model_kms_key_id: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    teacher: str | None = None
    max_response_length: int | None = None
    customization_type: str | None = None
    #: The reward-function Lambda of a REINFORCEMENT_FINE_TUNING job, and its typed
    #: ``rftConfig.hyperParameters`` (only the chosen ones are sent: AWS documents no defaults).
    grader_arn: str | None = None
    rft_hyperparameters: dict[str, Any] = field(default_factory=dict)


def hyperparameter_value(profile: ModelProfile, name: str, value: Any) -> str:
    """The API string for one hyperparameter, checked against the model's range."""
    hp = profile.hyperparameter(name)
    if hp is None:
        known = ", ".join(h.name for h in profile.hyperparameters) or "none"
        raise ConfigError(f"hyperparameter {name!r} is not one {profile.name} takes ({known})")
    if isinstance(value, str) and value in hp.allow:
        return value
    number: Decimal | None = None
    if isinstance(value, str):
        number = parse_number(value, hp.type)  # no NaN, infinity, hex or digit separators
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = Decimal(repr(value) if isinstance(value, float) else value)
        except InvalidOperation:
            number = None
        if number is not None and not number.is_finite():
            number = None
    if number is None or (hp.type == "int" and number != number.to_integral_value()):
        kind = "a whole number" if hp.type == "int" else "a decimal number"
        allow = f" or {' / '.join(hp.allow)}" if hp.allow else ""
        raise ConfigError(f"hyperparameter {name}={value!r}: must be {kind}{allow}")
    lo, hi = Decimal(repr(hp.min or 0)), Decimal(repr(hp.max or 0))
    if hp.min is None or hp.max is None or not lo <= number <= hi:
        raise ConfigError(
            f"hyperparameter {name}={plain(number)} is outside {profile.name}'s range "
            f"{plain(lo)}-{plain(hi)}"
        )
    return str(int(number)) if hp.type == "int" else plain(number)


def resolve_hyperparameters(profile: ModelProfile, chosen: dict[str, Any]) -> dict[str, str]:
    """Every hyperparameter of the model: its default unless chosen (explicit values work with
    old and new API versions alike)."""
    for name, value in chosen.items():
        hyperparameter_value(profile, name, value)
    out = {}
    for hp in profile.hyperparameters:
        value = chosen.get(hp.name, hp.default)
        if value is not None:
            out[hp.name] = hyperparameter_value(profile, hp.name, value)
    return out


def job_type(options: JobOptions, fmt: str | None = None) -> str:
    """The customization type the options make: the chosen one, else DISTILLATION when a
    teacher is named, else the one the record format is trained with."""
    if options.customization_type:
        return options.customization_type
    if options.teacher:
        return DISTILLATION
    return CUSTOMIZATION.get(fmt or "", DEFAULT_TYPE)


def no_hyperparameters(chosen: dict[str, Any]) -> ConfigError:
    """Distillation has no hyperparameters to send: Bedrock trains the student itself, and the
    distillation job page lists no ``hyperParameters`` field."""
    return ConfigError(
        f"distillation takes no hyperparameters ({', '.join(sorted(chosen))}): Bedrock trains "
        "the student itself",
        hint="leave out -H, or leave out --teacher for a fine-tuning job",
    )


def build_request(
    profile: ModelProfile,
    fmt: str,
    *,
    train_uri: str,
    validation_uri: str | None,
    output_uri: str,
    options: JobOptions,
    data_digest: str,
) -> dict[str, Any]:
    """The request for this dataset and model; raises ConfigError on anything Bedrock refuses,
    and on options the job's type cannot carry (a teacher outside DISTILLATION, hyperparameters
    in it), which would otherwise be dropped without a word."""
    ctype = job_type(options, fmt)
    req: dict[str, Any] = {
        "jobName": "",
        "customModelName": "",
        "clientRequestToken": "",
        "baseModelIdentifier": profile.base_model_id,
        "customizationType": ctype,
        "trainingDataConfig": {"s3Uri": train_uri},
    }
    if options.teacher and ctype != DISTILLATION:
        raise ConfigError(
            f"a teacher model is for DISTILLATION jobs, not {ctype}",
            hint="leave out --teacher, or the customization type",
        )
    if options.role_arn:
        req["roleArn"] = options.role_arn
    if validation_uri:
        req["validationDataConfig"] = {"validators": [{"s3Uri": validation_uri}]}
    req["outputDataConfig"] = {"s3Uri": options.output_uri or output_uri}
    if ctype == RFT:
        req["customizationConfig"] = rft_config(
            profile.for_customization(RFT), options.grader_arn, options.rft_hyperparameters
        )
    elif ctype == DISTILLATION:
        if not options.teacher:
            raise ConfigError("distillation needs a teacher model", hint="pass --teacher MODEL_ID")
        if options.hyperparameters:
            raise no_hyperparameters(options.hyperparameters)
        teacher: dict[str, Any] = {"teacherModelIdentifier": options.teacher}
        length: Any = options.max_response_length
        if length is not None:  # 0 is refused below, not dropped
            whole = isinstance(length, str) and parse_number(length, "int") is not None
            teacher["maxResponseLengthForInference"] = int(length) if whole else length
        req["customizationConfig"] = {"distillationConfig": {"teacherModelConfig": teacher}}
    elif profile.hyperparameters:
        req["hyperParameters"] = resolve_hyperparameters(profile, options.hyperparameters)
    if options.model_kms_key_id:
        req["customModelKmsKeyId"] = options.model_kms_key_id
    if options.tags:
        tags = [{"key": str(k), "value": str(v)} for k, v in sorted(options.tags.items())]
        req["jobTags"] = tags
        req["customModelTags"] = tags
    if options.subnet_ids or options.security_group_ids:
        req["vpcConfig"] = {
            "subnetIds": list(options.subnet_ids),
            "securityGroupIds": list(options.security_group_ids),
        }
    seed = json.dumps({"data": data_digest, "request": req}, sort_keys=True)
    names = hashlib.sha256(seed.encode()).hexdigest()[:12]  # default names follow the data
    req["jobName"] = options.job_name or f"fineprep-{profile.key}-{names}"[:63]
    req["customModelName"] = options.custom_model_name or f"{profile.key}-{names}"[:63]
    # Last, over the final request: a token that missed a field would make Bedrock take a
    # different job for a repeat of this one and silently not start it.
    req["clientRequestToken"] = request_token(req, data_part(data_digest))
    validate_request(req, "job request")
    return req


def validate_request(
    req: dict[str, Any], where: str, base: ModelProfile | None = None
) -> ModelProfile | None:
    """Check a request against the API (botocore's service model), then against the model's
    documented rules; returns the model, or None for a custom-model base whose own base is not
    known (``base`` names it when it is)."""
    error = api_problem(req)
    if error is not None:
        raise ConfigError(f"{where}: {error}")
    profile = base if base is not None else base_profile(req)
    if profile is None:
        return None
    if base is None:
        check_base_id(profile, req["baseModelIdentifier"], where)
    ctype = req.get("customizationType", DEFAULT_TYPE)
    if ctype not in profile.customization_types:
        raise ConfigError(
            f"{where}: {profile.name} does not support {ctype}",
            hint=f"it supports {', '.join(profile.customization_types)}",
        )
    profile = profile.for_customization(ctype)
    # Invocation logs (invocationLogsConfig, a prefix of logs) are training data the API
    # checks itself; only a dataset file's URI must name a file.
    training = req["trainingDataConfig"].get("s3Uri")
    uris = [training] if isinstance(training, str) else []
    uris += [v["s3Uri"] for v in req.get("validationDataConfig", {}).get("validators", [])]
    for uri in uris:
        if uri.endswith("/"):
            raise ConfigError(f"{where}: {uri} is a prefix; Bedrock needs the URI of a file")
    if req.get("validationDataConfig") and not profile.validation_supported:
        raise ConfigError(f"{where}: {profile.name} takes no validation set")
    hps = req.get("hyperParameters", {})
    config = req.get("customizationConfig")
    if ctype == DISTILLATION:
        if config is None or "distillationConfig" not in config:
            raise ConfigError(f"{where}: DISTILLATION needs customizationConfig with a teacher")
        if hps:
            raise ConfigError(f"{where}: distillation takes no hyperParameters")
        teacher_config = config["distillationConfig"]["teacherModelConfig"]
        check_teacher(profile, teacher_config["teacherModelIdentifier"], where)
        check_response_length(teacher_config.get("maxResponseLengthForInference"), where)
    elif ctype == RFT:
        validate_rft(profile, config, hps, where)
    elif config is not None:
        raise ConfigError(
            f"{where}: customizationConfig is only for DISTILLATION and REINFORCEMENT_FINE_TUNING"
        )
    for name, value in hps.items():
        hyperparameter_value(profile, name, value)
    return profile


def check_response_length(value: Any, where: str) -> None:
    """``maxResponseLengthForInference`` is a number of tokens the teacher may answer with:
    the API types it an integer and states no range, so only what cannot be a length (zero,
    negative, not whole) is refused; a valid length may still be more than Bedrock allows."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(
            f"{where}: maxResponseLengthForInference={value!r}: must be a positive whole "
            "number of tokens",
            hint="give the most tokens a teacher response may have, or leave it out",
        )


def load_request(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="run `fineprep upload` first") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON job request ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a job request is a JSON object")
    return data
