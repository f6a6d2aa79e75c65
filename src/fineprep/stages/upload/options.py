"""Options of ``upload`` (the ``[upload]`` config section) and how option sets are layered.

Config sections are free-form in the config schema (each command owns its section), so each
command validates its own keys here: an unknown key is a config error naming it, never
silently ignored. Command-line values overlay config values, which overlay defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from fineprep.core.errors import ConfigError
from fineprep.io.aws import AwsOptions
from fineprep.stages.upload.digest import MIB, TransferSettings, parse_size

T = TypeVar("T")


def from_table(cls: type[T], table: dict[str, Any], where: str) -> T:
    """Build option dataclass ``cls`` from a config table with kebab-case keys."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in table.items():
        attr = key.replace("-", "_")
        if attr not in known:
            names = ", ".join(sorted(k.replace("_", "-") for k in known))
            raise ConfigError(f"{where}: unknown key {key!r}", hint=f"known keys: {names}")
        values[attr] = value
    return cls(**values)


def overlay(base: T, *others: T | None) -> T:
    """``base`` with every set (not None, not empty) value of ``others`` applied in order; dict
    values are merged key by key, so a command-line hyperparameter keeps the config's others."""
    out = base
    for other in others:
        if other is None:
            continue
        changes: dict[str, Any] = {}
        for f in fields(other):  # type: ignore[arg-type]
            value = getattr(other, f.name)
            if isinstance(value, dict):
                changes[f.name] = {**getattr(out, f.name), **value}
            elif value is not None and not (isinstance(value, (list, tuple)) and not value):
                changes[f.name] = value
        out = replace(out, **changes)  # type: ignore[type-var]
    return out


_OWNER_DIGITS = 12


@dataclass
class UploadOptions:
    """Everything about where and how the dataset goes to S3 (not the job)."""

    to: str | None = None
    kms_key_id: str | None = None
    expected_bucket_owner: str | None = None
    verify_media: bool | None = None
    force: bool | None = None
    sidecars: bool | None = None  # None: upload the sidecars (False: --no-sidecars)
    output_dir: str | None = None
    multipart_threshold: str | int | None = None
    part_size: str | int | None = None
    concurrency: int | None = None
    max_attempts: int | None = None
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    def transfer(self) -> TransferSettings:
        default = TransferSettings()
        threshold = self.multipart_threshold
        part = self.part_size
        return TransferSettings(
            threshold=default.threshold
            if threshold is None
            else parse_size(threshold, "--multipart-threshold"),
            part_size=default.part_size if part is None else parse_size(part, "--part-size"),
            concurrency=self.concurrency or default.concurrency,
        )

    def aws(self, region: str | None = None) -> AwsOptions:
        concurrency = self.concurrency or TransferSettings().concurrency
        return AwsOptions(
            profile=self.profile,
            region=self.region or region,
            endpoint_url=self.endpoint_url,
            max_attempts=self.max_attempts or AwsOptions().max_attempts,
            max_pool_connections=max(16, concurrency + 4),
        )

    def sse(self) -> dict[str, str]:
        """Server-side encryption for every object: SSE-KMS with a key, else SSE-S3."""
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    def owner(self) -> dict[str, str]:
        owner = self.expected_bucket_owner
        if not owner:
            return {}
        if not (owner.isdigit() and len(owner) == _OWNER_DIGITS):
            raise ConfigError(
                f"--expected-bucket-owner {owner!r}: must be a 12-digit AWS account ID"
            )
        return {"ExpectedBucketOwner": owner}


__all__ = ["MIB", "UploadOptions", "from_table", "overlay"]
