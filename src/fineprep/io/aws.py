"""AWS plumbing shared by upload and launch: clients, S3 URIs, and errors as one-line messages.

boto3 is imported only inside these functions, so ``fineprep check`` never pays for it.
Credentials come from the standard AWS chain (environment, profile, SSO, instance role);
fineprep never reads or stores them itself, and every message it prints is passed through
:func:`redact`, so a key that appears in an exception text cannot reach a terminal or a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fineprep.core import __version__
from fineprep.core.errors import ConfigError, UploadError

_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")
_SECRET_ASSIGN = re.compile(r"(?i)(secret[_-]?access[_-]?key|session[_-]?token)(\W+)\S+")
_SECRETS: set[str] = set()


@dataclass(frozen=True)
class AwsOptions:
    """Where and how to reach AWS; ``None`` means the standard chain decides."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_pool_connections: int = 16


def redact(text: str) -> str:
    """Remove anything that looks like, or is, one of the credentials in use."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    text = _KEY_ID.sub("***", text)
    return _SECRET_ASSIGN.sub(r"\1\2***", text)


def _remember_credentials(session: Any) -> None:
    try:
        creds = session.get_credentials()
    except Exception:  # resolving credentials failed; the first request will say why
        return
    if creds is None:
        return
    frozen = creds.get_frozen_credentials()
    _SECRETS.update(v for v in (frozen.access_key, frozen.secret_key, frozen.token) if v)


def make_session(opts: AwsOptions) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(profile_name=opts.profile)
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise ConfigError(
            f"--profile {opts.profile}: {redact(str(exc))}", hint="check ~/.aws/config"
        ) from None
    _remember_credentials(session)
    return session


def make_client(
    service: str, opts: AwsOptions, region: str | None = None, session: Any = None
) -> Any:
    """A boto3 client with standard-mode retries (backoff on 5xx, throttling, dropped links).

    For S3, SigV4 payload signing is off: every body fineprep sends carries its SHA-256 in a
    signed ``x-amz-checksum-sha256`` header that S3 verifies, so hashing the body a second time
    for the signature (which botocore does only on plain-HTTP endpoints) adds a full pass over
    the data and no protection.
    """
    from botocore.config import Config

    session = session or make_session(opts)
    config = Config(
        retries={"mode": "standard", "total_max_attempts": opts.max_attempts},
        connect_timeout=opts.connect_timeout,
        read_timeout=opts.read_timeout,
        max_pool_connections=opts.max_pool_connections,
        user_agent_extra=f"fineprep/{__version__}",
        s3={"payload_signing_enabled": False} if service == "s3" else None,
    )
    from botocore.exceptions import BotoCoreError

    try:
        return session.client(
            service,
            region_name=region or opts.region or session.region_name,
            endpoint_url=opts.endpoint_url,
            config=config,
        )
    except (BotoCoreError, ValueError) as exc:  # bad endpoint URL, no region, unknown service
        raise ConfigError(
            redact(f"cannot create the {service} client: {exc}"),
            hint="check --endpoint-url and --region",
        ) from None


def session_region(opts: AwsOptions) -> str | None:
    """The region the AWS chain would use (``--region``, AWS_REGION, profile), or None."""
    if opts.region:
        return opts.region
    region: str | None = make_session(opts).region_name
    return region


_HINTS = {
    "AccessDenied": "check the IAM permissions of your credentials for this bucket and, if "
    "given, --expected-bucket-owner",
    "AllAccessDisabled": "the bucket is disabled; use another one",
    "NoSuchBucket": "create the bucket (in the model's region) or fix the destination",
    "InvalidAccessKeyId": "check your AWS credentials (--profile or the environment)",
    "SignatureDoesNotMatch": "check your AWS credentials (--profile or the environment)",
    "ExpiredToken": "your session has expired; log in again (aws sso login)",
    "KMS.NotFoundException": "check --kms-key-id",
    "AccessDeniedException": "check the IAM permissions (and iam:PassRole on the role)",
    "ValidationException": "fix the request (see the message) and run launch again",
}


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def aws_error(exc: BaseException, action: str) -> UploadError:
    """Turn a botocore exception into a one-line UploadError (never a credential in it)."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, ClientError):
        code = error_code(exc) or "Error"
        message = exc.response.get("Error", {}).get("Message") or ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if not message and status == 404:
            message = "not found"
        elif not message and status == 403:
            code, message = "AccessDenied", "access denied"
        hint = _HINTS.get(code)
        return UploadError(redact(f"{action}: {code}: {message}".rstrip(": ")), hint=hint)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return UploadError(
            f"{action}: no usable AWS credentials",
            hint="set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(exc, NoRegionError):
        return UploadError(f"{action}: no AWS region configured", hint="pass --region")
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return UploadError(
            redact(f"{action}: cannot reach AWS ({exc})"),
            hint="check the network or --endpoint-url; requests were retried",
        )
    from xml.etree.ElementTree import ParseError

    if isinstance(exc, ParseError):
        return UploadError(
            f"{action}: the answer was cut short or is not valid XML ({exc})",
            hint="retry; check --endpoint-url and any proxy in between",
        )
    return UploadError(redact(f"{action}: {type(exc).__name__}: {exc}"))


def is_not_found(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 404 or error_code(exc) in {"404", "NoSuchKey", "NotFound"}


def bucket_region(client: Any, bucket: str, owner: dict[str, str]) -> str:
    """The bucket's region (GetBucketLocation answers None or '' for us-east-1)."""
    from xml.etree.ElementTree import ParseError

    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resp = client.get_bucket_location(Bucket=bucket, **owner)
    except (BotoCoreError, ClientError, ParseError) as exc:  # botocore parses this one raw
        raise aws_error(exc, f"s3://{bucket}: reading the bucket's region") from None
    location = resp.get("LocationConstraint") or "us-east-1"
    return "eu-west-1" if location == "EU" else str(location)
