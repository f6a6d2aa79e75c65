"""Submitting a job request to Bedrock, and following the job it started.

The request is validated again here (:func:`~.request.validate_request`) whatever wrote it, so
a hand-edited ``job-request.json`` is judged by the same rules as one ``fineprep upload`` built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import ModelProfile
from fineprep.io.aws import AwsOptions, aws_error, make_client, session_region
from fineprep.stages.launch.request import load_request, validate_request


@dataclass
class LaunchResult:
    request: dict[str, Any]
    region: str
    job_arn: str | None = None


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


def launch(
    request: str | Path | dict[str, Any],
    *,
    role_arn: str | None = None,
    dry_run: bool = False,
    aws: AwsOptions | None = None,
    client: Any = None,
) -> LaunchResult:
    """Validate a job request and (unless ``dry_run``) submit it; returns the job ARN."""
    aws = aws or AwsOptions()
    where = str(request) if not isinstance(request, dict) else "job request"
    req = dict(request) if isinstance(request, dict) else load_request(request)
    if role_arn:
        req["roleArn"] = role_arn
    profile = validate_request(req, where)
    region = job_region(profile, aws, resolve=not dry_run)
    if dry_run:
        return LaunchResult(req, region)
    if not req.get("roleArn"):
        raise ConfigError(
            f"{where}: no roleArn", hint="pass --role-arn arn:aws:iam::ACCOUNT:role/NAME"
        )
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or make_client("bedrock", aws, region)
    try:
        resp = client.create_model_customization_job(**req)
    except (BotoCoreError, ClientError) as exc:
        raise aws_error(exc, f"CreateModelCustomizationJob {req['jobName']}") from None
    return LaunchResult(req, region, str(resp["jobArn"]))


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
