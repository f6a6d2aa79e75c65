"""Submitting a job request to Bedrock, and following the job it started.

The request is validated again here (:func:`~.request.validate_request`) whatever wrote it, so
a hand-edited ``job-request.json`` is judged by the same rules as one ``fineprep upload`` built.
Its ``clientRequestToken`` is derived again from what it says (:mod:`~.idempotency`): Bedrock
ignores a request whose token it has seen, so an edited request sent with its old token would
be dropped without a word, and the edits with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import ModelProfile, get_profile
from fineprep.core.results import Result
from fineprep.io.aws import AwsOptions, aws_error, error_code, make_client, session_region
from fineprep.stages.launch.idempotency import TOKEN, derived_token, token_matches
from fineprep.stages.launch.openai_job import openai_route, route_note
from fineprep.stages.launch.request import load_request, validate_request
from fineprep.stages.launch.validate import custom_model_region


@dataclass
class LaunchResult(Result):
    request: dict[str, Any]
    region: str
    job_arn: str | None = None
    notes: list[str] = field(default_factory=list)
    #: The job existed already (the same request was submitted before): ``job_arn`` is it.
    already: bool = False


def job_region(profile: ModelProfile, aws: AwsOptions, *, resolve: bool = True) -> str:
    """``--region`` if the model can be customized there; else the configured region if it
    can; else the model's first region."""
    if aws.region:
        if aws.region not in profile.regions:
            raise ConfigError(
                f"--region {aws.region}: {profile.name} is customized only in "
                f"{', '.join(profile.regions)}"
            )
        return aws.region
    configured = session_region(aws) if resolve else None
    return configured if configured in profile.regions else profile.region


_CUSTOM_BASE = (
    "the base is a custom model: its own base model's rules are checked when the job is "
    "submitted (Bedrock names it), not in a dry run"
)


def launch(
    request: str | Path | dict[str, Any],
    *,
    role_arn: str | None = None,
    dry_run: bool = False,
    aws: AwsOptions | None = None,
    client: Any = None,
) -> LaunchResult:
    """Validate a job request and (unless ``dry_run``) submit it; returns the job ARN.

    A custom model as the base (``arn:aws:bedrock:...:custom-model/...``) is fine-tuned further
    in its own region; its own base model, whose rules apply, is asked of Bedrock
    (GetCustomModel) before the request is sent. A dry run checks such a request against the
    API only, and says so."""
    aws = aws or AwsOptions()
    where = str(request) if not isinstance(request, dict) else "job request"
    req = dict(request) if isinstance(request, dict) else load_request(request)
    notes: list[str] = []
    edited = bool(req.get(TOKEN)) and not token_matches(req)  # none: nothing to override
    if role_arn:
        req["roleArn"] = role_arn
    token = derived_token(req)
    if edited:
        notes.append(_edited_note(req.get(TOKEN), token))
    req[TOKEN] = token  # also after --role-arn: the role is part of what Bedrock receives
    profile = validate_request(req, where)
    custom_region = custom_model_region(req["baseModelIdentifier"])
    region = (
        job_region(profile, aws, resolve=not dry_run)
        if profile is not None
        else (aws.region or custom_region or "")
    )
    if profile is None:
        notes.append(_CUSTOM_BASE)
    elif openai_route(profile):
        notes.append(route_note(profile, region))
    if dry_run:
        return LaunchResult(req, region, notes=notes)
    if not req.get("roleArn"):
        raise ConfigError(
            f"{where}: no roleArn", hint="pass --role-arn arn:aws:iam::ACCOUNT:role/NAME"
        )
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or make_client("bedrock", aws, region)
    try:
        if profile is None:
            found = client.get_custom_model(modelIdentifier=req["baseModelIdentifier"])
            validate_request(req, where, base=get_profile(str(found["baseModelArn"])))
            notes.remove(_CUSTOM_BASE)
        resp = client.create_model_customization_job(**req)
    except ClientError as exc:
        if error_code(exc) in ("ResourceInUseException", "ConflictException"):
            return _existing(client, req, region, where, notes, edited=edited)
        raise aws_error(exc, f"CreateModelCustomizationJob {req['jobName']}") from None
    except BotoCoreError as exc:
        raise aws_error(exc, f"CreateModelCustomizationJob {req['jobName']}") from None
    return LaunchResult(req, region, str(resp["jobArn"]), notes=notes)


def _edited_note(old: Any, new: str) -> str:
    """One line for a request whose token is not the one its content derives: it was edited
    (or written) by hand, and its edits are what the user wants submitted."""
    return (
        f"the request was changed after its clientRequestToken was derived: sending it with "
        f"{new}, derived from what it says now (was {old})"
    )


def _existing(
    client: Any, req: dict[str, Any], region: str, where: str, notes: list[str], *, edited: bool
) -> LaunchResult:
    """A job of this name exists: the same request (its client token) is that job, already
    submitted; another request under the same name is a mistake."""
    from botocore.exceptions import BotoCoreError, ClientError

    name = req["jobName"]
    try:
        job = client.get_model_customization_job(jobIdentifier=name)
    except (BotoCoreError, ClientError) as exc:
        raise aws_error(exc, f"GetModelCustomizationJob {name}") from None
    token = req.get(TOKEN)
    if token and job.get(TOKEN) not in (None, token):
        why = ", and this request was changed after it was written" if edited else ""
        raise ConfigError(
            f"{where}: a different job named {name!r} exists ({job.get('jobArn')}); "
            f"Bedrock takes each job name once{why}",
            hint="give this job another name (jobName in the request, or upload --job-name), "
            f"or follow the existing one with fineprep launch --status {job.get('jobArn')}",
        )
    note = f"already submitted: {name} is {job.get('status', 'unknown')}"
    return LaunchResult(req, region, str(job["jobArn"]), notes=[*notes, note], already=True)


def job_status(
    identifier: str, *, aws: AwsOptions | None = None, client: Any = None
) -> dict[str, Any]:
    """GetModelCustomizationJob for a job ARN or name (an ARN names its own region)."""
    aws = aws or AwsOptions()
    parts = identifier.split(":")
    region = parts[3] if identifier.startswith("arn:") and len(parts) > 5 else None
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or make_client("bedrock", aws, aws.region or region)
    try:
        resp = client.get_model_customization_job(jobIdentifier=identifier)
    except (BotoCoreError, ClientError) as exc:
        raise aws_error(exc, f"GetModelCustomizationJob {identifier}") from None
    resp.pop("ResponseMetadata", None)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in resp.items()}
