"""Image and video references: S3 URI shape, media format, and the model's media rules."""

from __future__ import annotations

import re
from typing import Any

from fineprep.core.profiles import S3_URI_PATTERN, ModelProfile
from fineprep.formats.base import Media, Path, Report, View, type_name

_S3_URI = re.compile(S3_URI_PATTERN)
#: A bucket owner: a 12-digit AWS account ID.
ACCOUNT_ID = re.compile(r"\d{12}")
ALL_IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
ALL_VIDEO_FORMATS = ("mov", "mkv", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp")
_CAPTION_IMAGE_EXT = (".png", ".jpg", ".jpeg")


def check_uri(uri: Any, path: Path, report: Report, view: View) -> str | None:
    """Check a media URI's shape (S006 when Bedrock would refuse it) and return it if it is a
    string.

    Beyond the API's pattern, which also matches a bare bucket or a prefix: Bedrock fetches
    each referenced object when the job starts, and a bucket or a folder is not an object. The
    facts name this for the data URIs (bedrock-facts.md line 458: "points to a file, not a
    folder or prefix"; line 506: "Uri should be a file, not a directory") and hold media URIs
    to the same rule (line 451), so ``s3://bucket``, ``s3://bucket/`` and ``s3://bucket/x/``
    are refused. Only the shape of a folder is: a key the pattern accepts (any characters of
    ``- ! _ * ' ( ) .``, no extension, a leading dot) names an object as far as a record shows.
    """
    if not isinstance(uri, str):
        report("S001", path, f"media URI must be a string, not {type_name(uri)}", {})
        view.structural_ok = False
        return None
    if not _S3_URI.fullmatch(uri):
        report(
            "S006",
            path,
            f"media URI {uri[:200]!r} is not an S3 URI Bedrock accepts: {uri_problem(uri)}",
            {"uri": uri[:1024]},
        )
    elif not names_object(uri):
        report(
            "S006",
            path,
            f"media URI {uri[:200]!r} names a {'folder' if _key(uri) else 'bucket'}, not a "
            "file: give the S3 URI of the media object itself (s3://bucket/key)",
            {"uri": uri[:1024]},
        )
    return uri


def _key(uri: str) -> str:
    return uri[len("s3://") :].partition("/")[2]


def names_object(uri: str) -> bool:
    """Whether an ``s3://`` URI names an object: a key that is not empty and does not end in
    ``/`` (a bucket or a folder otherwise)."""
    key = _key(uri)
    return bool(key) and not key.endswith("/")


_BUCKET = re.compile(r"[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]")
_KEY_CHARS = re.compile(r"[-!_*'().a-zA-Z0-9/]*")


def uri_problem(uri: str) -> str:
    """Say which part of an S3 URI breaks Bedrock's pattern, so the fix is obvious."""
    if not uri.startswith("s3://"):
        return "it must start with s3:// (copy the object's S3 URI, not its https URL)"
    bucket, _, key = uri[5:].partition("/")
    if not _BUCKET.fullmatch(bucket):
        return (
            f"bucket name {bucket[:70]!r} is not a valid S3 bucket name (3-63 lower-case "
            "letters, digits, '-' and '.')"
        )
    bad = sorted({c for c in key if not _KEY_CHARS.fullmatch(c)})
    if bad:
        shown = " ".join(repr(c) for c in bad[:5])
        return (
            f"the key has characters Bedrock rejects ({shown}); "
            "use letters, digits and - ! _ * ' ( ) ."
        )
    return "empty path segment ('//') in the key"


def media_block(
    kind: str,
    block: Any,
    path: Path,
    role: str,
    view: View,
    profile: ModelProfile | None,
    report: Report,
) -> None:
    """Check one ``{"image": {...}}`` / ``{"video": {...}}`` block of a conversation record."""
    bpath = (*path, kind)
    if not isinstance(block, dict):
        report("S001", bpath, f"{kind!r} must be an object, not {type_name(block)}", {})
        view.structural_ok = False
        return
    fmt = block.get("format")
    source = block.get("source")
    uri: str | None = None
    owner: str | None = None
    if not isinstance(fmt, str):
        report("S001", (*bpath, "format"), f"{kind} block needs a string 'format'", {})
        view.structural_ok = False
    s3 = source.get("s3Location") if isinstance(source, dict) else None
    if not isinstance(s3, dict) or not isinstance(source, dict) or source.keys() != {"s3Location"}:
        report(
            "S001",
            (*bpath, "source"),
            f"{kind} block needs 'source': {{'s3Location': {{'uri': ..., 'bucketOwner': ...}}}}"
            " (Bedrock takes media from S3 only, not inline bytes)",
            {},
        )
        view.structural_ok = False
    else:
        spath = (*bpath, "source", "s3Location")
        extra = set(s3) - {"uri", "bucketOwner"}
        if extra or "uri" not in s3:
            report(
                "S001",
                spath,
                "s3Location takes 'uri' (required) and 'bucketOwner' only",
                {"keys": sorted(s3)},
            )
            view.structural_ok = False
        uri = check_uri(s3.get("uri"), (*spath, "uri"), report, view) if "uri" in s3 else None
        raw_owner = s3.get("bucketOwner")
        if "bucketOwner" in s3 and not isinstance(raw_owner, str):
            report("S001", (*spath, "bucketOwner"), "bucketOwner must be a string", {})
            view.structural_ok = False
        elif raw_owner is not None:
            if not ACCOUNT_ID.fullmatch(raw_owner):
                report(
                    "S006",
                    (*spath, "bucketOwner"),
                    "bucketOwner must be the 12-digit AWS account ID of the bucket owner",
                    {"bucketOwner": str(raw_owner)[:64]},
                )
            else:
                owner = raw_owner
    extra_keys = set(block) - {"format", "source"}
    if extra_keys:
        report("S001", bpath, f"unexpected key(s) {sorted(extra_keys)} in {kind} block", {})
        view.structural_ok = False
    view.media.append(Media(bpath, kind, fmt if isinstance(fmt, str) else None, uri, owner))
    if role != "user":
        report(
            "S006",
            bpath,
            f"{kind} blocks are allowed only in user turns, not {role!r}",
            {"role": role},
        )
    if not isinstance(fmt, str):
        return
    allowed = _allowed_formats(kind, profile)
    if profile is not None and not allowed:
        report(
            "S008",
            bpath,
            f"{profile.name} does not take {kind}s (text only)",
            {"model": profile.key, "kind": kind},
        )
    elif fmt not in allowed:
        who = profile.name if profile else "Bedrock"
        report(
            "S006",
            (*bpath, "format"),
            f"{kind} format {fmt!r} is not accepted by {who} (use one of {', '.join(allowed)})",
            {"format": fmt, "allowed": list(allowed)},
        )


def _allowed_formats(kind: str, profile: ModelProfile | None) -> tuple[str, ...]:
    if profile is None:
        return ALL_IMAGE_FORMATS if kind == "image" else ALL_VIDEO_FORMATS
    return profile.image_formats if kind == "image" else profile.video_formats


def record_media_limits(view: View, profile: ModelProfile | None, report: Report) -> None:
    """Per-record counts and mixing of images and videos."""
    if not view.media or profile is None:
        return
    images = sum(1 for m in view.media if m.kind == "image")
    videos = len(view.media) - images
    limit = profile.max_images_per_record
    if limit is not None and images > limit:
        report(
            "S006",
            ("messages",),
            f"{images} images in one record; {profile.name} takes at most {limit}",
            {"images": images, "limit": limit},
        )
    vlimit = profile.max_videos_per_record
    if vlimit is not None and videos > vlimit:
        report(
            "S006",
            ("messages",),
            f"{videos} videos in one record; {profile.name} takes at most {vlimit}",
            {"videos": videos, "limit": vlimit},
        )
    if images and videos and not profile.media_mixing:
        report(
            "S006",
            ("messages",),
            f"{profile.name} does not take images and videos in the same record",
            {"images": images, "videos": videos},
        )


def check_image_ref(uri: str, view: View, profile: ModelProfile | None, report: Report) -> None:
    """The ``image-ref`` of an image-caption record: an S3 URI of a PNG or JPEG."""
    check_uri(uri, ("image-ref",), report, view)
    ext = uri.lower().rsplit("/", 1)[-1]
    fmt = "png" if ext.endswith(".png") else "jpeg" if ext.endswith((".jpg", ".jpeg")) else None
    # A folder is reported by check_uri; that it is not a PNG either says nothing new.
    if fmt is None and (not _S3_URI.fullmatch(uri) or names_object(uri)):
        report(
            "S006",
            ("image-ref",),
            "image-ref must point to a PNG or JPEG file",
            {"uri": uri[:1024], "allowed": list(_CAPTION_IMAGE_EXT)},
        )
    view.media.append(Media(("image-ref",), "image", fmt, uri, None))
