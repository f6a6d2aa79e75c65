"""Image and video references in a row -> Bedrock content blocks (conversation format).

The block's ``format`` comes from the URI's extension, because Bedrock needs it and the row
rarely says it. Anything that is not an ``s3://`` URI with a known extension, matching the URI
pattern Bedrock's API enforces, rejects the row (Bedrock reads media from S3 only).
"""

from __future__ import annotations

import re
from typing import Any

from fineprep.core.profiles import S3_URI_PATTERN
from fineprep.formats.media import ACCOUNT_ID
from fineprep.stages.convert.templates import RowError

IMAGE_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}
VIDEO_FORMATS = {"mov": "mov", "mkv": "mkv", "mp4": "mp4", "webm": "webm"}
_S3_URI = re.compile(S3_URI_PATTERN)
#: S3 URIs that Bedrock accepts hold none of these, so they can separate several URIs.
DEFAULT_SEPARATORS = re.compile(r"[\s,;|]+")


def check_owner(owner: str | None) -> str | None:
    """The bucket owner's 12-digit account ID, or a clear error."""
    from fineprep.core.errors import ConfigError

    if owner is None:
        return None
    owner = str(owner).strip()
    if not ACCOUNT_ID.fullmatch(owner):
        raise ConfigError(f"bucket-owner must be a 12-digit AWS account ID, got {owner!r}")
    return owner


def split_uris(value: Any, separator: str | None, field: str) -> list[str]:
    """One URI, several in one string, or a list of them -> a list of URIs."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        parts = value.split(separator) if separator else DEFAULT_SEPARATORS.split(value)
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise RowError(f"field {field!r} holds {type(item).__name__}, not an S3 URI")
            out.append(item.strip())
        return [u for u in out if u]
    raise RowError(f"field {field!r} holds {type(value).__name__}, not S3 URIs")


def media_block(uri: str, owner: str | None, allowed: tuple[str, ...] = ()) -> dict[str, Any]:
    """``s3://b/k.png`` -> ``{"image": {"format": "png", "source": {"s3Location": ...}}}``."""
    if not uri.startswith("s3://"):
        raise RowError(f"media {uri[:200]!r} is not an s3:// URI (Bedrock reads media from S3)")
    ext = uri.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() if "." in uri.rsplit("/", 1)[-1] else ""
    if ext in IMAGE_FORMATS:
        kind, fmt = "image", IMAGE_FORMATS[ext]
    elif ext in VIDEO_FORMATS:
        kind, fmt = "video", VIDEO_FORMATS[ext]
    else:
        known = ", ".join([*IMAGE_FORMATS, *VIDEO_FORMATS])
        raise RowError(f"media {uri[:200]!r}: unknown extension {ext!r} (known: {known})")
    if not _S3_URI.fullmatch(uri):
        raise RowError(
            f"media {uri[:200]!r} is not an S3 URI Bedrock accepts (bucket names are lower-case; "
            "keys take letters, digits and - ! _ * ' ( ) . only)"
        )
    if allowed and fmt not in allowed:
        raise RowError(f"media {uri[:200]!r}: the model does not take {fmt} {kind}s")
    location: dict[str, str] = {"uri": uri}
    if owner:
        location["bucketOwner"] = owner
    return {kind: {"format": fmt, "source": {"s3Location": location}}}
