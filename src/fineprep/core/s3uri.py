"""S3 URIs as Bedrock accepts them: parsing, joining, and the API's own pattern.

Record formats (media blocks), upload (U001) and launch (the job's data locations) all judge
URIs by the pattern ``CreateModelCustomizationJob`` enforces (a Bedrock rule, kept with the
others in :mod:`.profiles`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import MAX_URI, S3_URI_PATTERN, ModelProfile

_S3_URI = re.compile(S3_URI_PATTERN)


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, name: str) -> S3Uri:
        prefix = self.key if not self.key or self.key.endswith("/") else self.key + "/"
        return S3Uri(self.bucket, prefix + name)


def parse_s3_uri(text: str, what: str = "--to") -> S3Uri:
    """``s3://bucket/prefix/`` -> S3Uri; anything else is a config error naming ``what``."""
    if not text.startswith("s3://"):
        raise ConfigError(f"{what}: {text!r} is not an S3 URI", hint="use s3://bucket/prefix/")
    bucket, _, key = text[len("s3://") :].partition("/")
    if not bucket:
        raise ConfigError(f"{what}: {text!r} has no bucket name", hint="use s3://bucket/prefix/")
    return S3Uri(bucket, key)


def uri_problem(uri: str, profile: ModelProfile | None) -> str | None:
    """Why Bedrock would refuse ``uri`` (its API pattern, length, the model's name rule)."""
    if len(uri) > MAX_URI:
        return f"is {len(uri)} characters long; Bedrock accepts at most {MAX_URI}"
    if not _S3_URI.fullmatch(uri):
        return (
            "does not match Bedrock's S3 URI pattern (bucket of lowercase letters, digits, '-' "
            "and '.'; key segments of letters, digits and - ! _ * ' ( ) . only)"
        )
    pattern = profile.file_name_pattern if profile else None
    key = uri[len("s3://") :].partition("/")[2]
    if pattern and key and not re.fullmatch(pattern, key):
        return f"has characters {profile.name if profile else ''} refuses in paths ({pattern})"
    return None
