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

from fineprep.core.media_limits import MediaProblem, media_problems
from fineprep.core.model import Location
from fineprep.core.profiles import ModelProfile
from fineprep.core.rules import format_path
from fineprep.core.s3uri import parse_s3_uri
from fineprep.formats import FORMATS
from fineprep.io.aws import aws_error, error_code, is_not_found
from fineprep.io.jsonl import iter_lines, sidecar_path
from fineprep.io.media_probe import block_reader, image_info, video_seconds

#: emit(code, message, location, data)
Emit = Callable[[str, str, Location, dict[str, Any]], None]
MEDIA_FORMATS = frozenset({"conversation", "distillation", "image-caption"})


@dataclass(frozen=True)
class MediaRef:
    uri: str
    owner: str | None
    location: Location
    kind: str = "image"


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
                        refs.append(MediaRef(media.uri, media.bucket_owner, loc, media.kind))
    return refs


@dataclass(frozen=True)
class Probe:
    """What a HEAD (and, where the model limits them, a ranged read) says of one object."""

    status: int | None = None
    size: int | None = None
    problems: tuple[MediaProblem, ...] = ()


def _probe(
    client: Any, uri: str, owner: str | None, kind: str, profile: ModelProfile | None
) -> Probe:
    """Status None if the object is readable (with the limits it breaks); else the HTTP status
    that says why not."""
    from botocore.exceptions import BotoCoreError, ClientError

    target = parse_s3_uri(uri, "media URI")
    extra = {"ExpectedBucketOwner": owner} if owner else {}
    try:
        head = client.head_object(Bucket=target.bucket, Key=target.key, **extra)
        size = int(head.get("ContentLength", 0))
        problems = _limits(client, target.bucket, target.key, extra, kind, size, profile)
    except ClientError as exc:
        if is_not_found(exc) or error_code(exc) == "NoSuchBucket":
            return Probe(404)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403:
            return Probe(403)
        raise aws_error(exc, f"{uri}: checking the media object") from None
    except BotoCoreError as exc:
        raise aws_error(exc, f"{uri}: checking the media object") from None
    return Probe(None, size, tuple(problems))


def _limits(
    client: Any,
    bucket: str,
    key: str,
    extra: dict[str, str],
    kind: str,
    size: int,
    profile: ModelProfile | None,
) -> list[MediaProblem]:
    """The model's limits this object breaks: size from the HEAD, pixels or length from the
    fewest bytes of its header a ranged read can give."""
    if profile is None:
        return []

    def fetch(offset: int, length: int) -> bytes:
        if offset >= size:
            return b""
        end = min(size, offset + length) - 1
        resp = client.get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-{end}", **extra)
        return bytes(resp["Body"].read())

    width = height = None
    seconds = None
    pixel_limits = (profile.image_min_side, profile.image_max_side, profile.image_max_pixels)
    aspect = (profile.image_min_aspect, profile.image_max_aspect)
    if kind == "image" and any(v is not None for v in (*pixel_limits, *aspect)):
        info = image_info(block_reader(fetch))
        if info is not None:
            width, height = info.width, info.height
    if kind == "video" and profile.max_video_seconds is not None:
        seconds = video_seconds(block_reader(fetch), size)
    return media_problems(profile, kind, size=size, width=width, height=height, seconds=seconds)


def verify_media(
    refs: list[MediaRef],
    dataset_bucket: str,
    profile: ModelProfile | None,
    client: Any,
    emit: Emit,
    workers: int = 16,
) -> int:
    """Emit U002/U003/U005 findings; returns the number of distinct objects checked."""
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
    unique = sorted(
        {(ref.uri, ref.owner, ref.kind) for ref in refs}, key=lambda t: (t[0], t[1] or "", t[2])
    )

    def probe(item: tuple[str, str | None, str]) -> Probe:
        return _probe(client, *item, profile)

    with ThreadPoolExecutor(max(1, min(workers, len(unique) or 1))) as pool:
        probes = dict(zip(unique, pool.map(probe, unique), strict=True))
    for ref in refs:
        found = probes[(ref.uri, ref.owner, ref.kind)]
        status = found.status
        for problem in found.problems:
            emit(
                "U005",
                f"media {ref.uri}: {problem.message}",
                ref.location,
                {"uri": ref.uri, **problem.data()},
            )
        if status is None:
            continue
        reason = (
            "does not exist"
            if status == 404
            else "cannot be read with your credentials (403: missing, or no s3:GetObject)"
        )
        emit("U003", f"media {ref.uri} {reason}", ref.location, {"uri": ref.uri, "status": status})
    return len(unique)
