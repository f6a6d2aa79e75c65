"""``--verify-media``: the images and videos the records point at exist, in the right bucket.

A dataset can pass every local check and still fail hours into a Bedrock job because one image
key has a typo. The records are walked with the same format analyzers the checks use (so the
media found are exactly the ones the checks saw), each distinct URI gets one HEAD request, and
problems come back as findings at the record's file, line and JSON path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fineprep.core.model import Location
from fineprep.core.profiles import ModelProfile
from fineprep.core.rules import format_path
from fineprep.core.s3uri import parse_s3_uri
from fineprep.formats import FORMATS
from fineprep.io.aws import aws_error, error_code, is_not_found
from fineprep.io.jsonl import iter_lines, sidecar_path

#: emit(code, message, location, data)
Emit = Callable[[str, str, Location, dict[str, Any]], None]
MEDIA_FORMATS = frozenset({"conversation", "distillation", "image-caption"})


@dataclass(frozen=True)
class MediaRef:
    uri: str
    owner: str | None
    location: Location


def _noop(code: str, path: Any, message: str, data: dict[str, Any]) -> None:
    """Structural findings were reported by the check run already."""


def _sources(path: Path) -> Iterator[str | None]:
    meta = sidecar_path(path)
    if meta == path or not meta.is_file():
        while True:
            yield None
    with meta.open("rb") as fh:
        for _, raw in iter_lines(fh):
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                yield None
                continue
            source = obj.get("source") if isinstance(obj, dict) else None
            yield None if source is None else str(source)
    while True:
        yield None


def collect(files: list[tuple[str, str | None]], profile: ModelProfile | None) -> list[MediaRef]:
    """Every S3 media reference in the given (path, format) files, in file order."""
    refs: list[MediaRef] = []
    for name, fmt in files:
        if fmt not in MEDIA_FORMATS:
            continue
        analyze = FORMATS.get(fmt).analyze
        path = Path(name)
        sources = _sources(path)
        with path.open("rb") as fh:
            for line_no, raw in iter_lines(fh):
                source = next(sources)
                if b"s3://" not in raw:
                    continue
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(obj, dict):
                    continue
                for media in analyze(obj, profile, _noop).media:
                    if isinstance(media.uri, str) and media.uri.startswith("s3://"):
                        where = media.path
                        if where and where[-1] in ("image", "video"):
                            where = (*where, "source", "s3Location", "uri")
                        loc = Location(name, line_no, format_path(where), source)
                        refs.append(MediaRef(media.uri, media.bucket_owner, loc))
    return refs


def _probe(client: Any, uri: str, owner: str | None) -> int | None:
    """None if the object is readable; else the HTTP status that says why not."""
    from botocore.exceptions import BotoCoreError, ClientError

    target = parse_s3_uri(uri, "media URI")
    extra = {"ExpectedBucketOwner": owner} if owner else {}
    try:
        client.head_object(Bucket=target.bucket, Key=target.key, **extra)
    except ClientError as exc:
        if is_not_found(exc) or error_code(exc) == "NoSuchBucket":
            return 404
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403:
            return 403
        raise aws_error(exc, f"{uri}: checking the media object") from None
    except BotoCoreError as exc:
        raise aws_error(exc, f"{uri}: checking the media object") from None
    return None


def verify_media(
    refs: list[MediaRef],
    dataset_bucket: str,
    profile: ModelProfile | None,
    client: Any,
    emit: Emit,
    workers: int = 16,
) -> int:
    """Emit U002/U003 findings; returns the number of distinct objects checked."""
    if profile is not None and profile.media_same_bucket:
        for ref in refs:
            bucket = parse_s3_uri(ref.uri, "media URI").bucket
            if bucket != dataset_bucket:
                emit(
                    "U002",
                    f"media {ref.uri} is in bucket {bucket!r}, but {profile.name} reads media "
                    f"only from the dataset's bucket {dataset_bucket!r}",
                    ref.location,
                    {"uri": ref.uri, "bucket": bucket, "dataset_bucket": dataset_bucket},
                )
    unique = sorted({(ref.uri, ref.owner) for ref in refs}, key=lambda t: (t[0], t[1] or ""))
    with ThreadPoolExecutor(max(1, min(workers, len(unique) or 1))) as pool:
        statuses = dict(zip(unique, pool.map(lambda t: _probe(client, *t), unique), strict=True))
    for ref in refs:
        status = statuses[(ref.uri, ref.owner)]
        if status is None:
            continue
        reason = (
            "does not exist"
            if status == 404
            else "cannot be read with your credentials (403: missing, or no s3:GetObject)"
        )
        emit("U003", f"media {ref.uri} {reason}", ref.location, {"uri": ref.uri, "status": status})
    return len(unique)
