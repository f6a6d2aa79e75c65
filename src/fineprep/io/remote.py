"""Inputs in S3: ``s3://bucket/key`` and ``s3://bucket/prefix/`` wherever a local file or
folder is accepted, read as streams (never downloaded whole) and, for partitions, by byte
range, so that each worker of a cluster reads only its own part.

Credentials and endpoint are the upload's: the standard AWS chain (environment, profile, SSO,
instance role, ``AWS_ENDPOINT_URL``), overridden by ``profile``, ``region`` and
``endpoint-url`` of the ``[upload]`` section. boto3 is imported only when an input is remote.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from fineprep.core.errors import InputError
from fineprep.core.s3uri import S3Uri, parse_s3_uri
from fineprep.io.aws import AwsOptions, make_client, redact

PREFIX = "s3://"
_BUFFER = 1 << 20
_clients: dict[tuple[int, AwsOptions], Any] = {}


def is_remote(path: str) -> bool:
    return path.startswith(PREFIX)


def input_aws(upload_section: dict[str, Any] | None) -> AwsOptions:
    """AWS options for reading inputs: the ``[upload]`` section's profile, region and
    endpoint, else the standard chain's."""
    section = upload_section or {}

    def text(key: str) -> str | None:
        value = section.get(key)
        return value if isinstance(value, str) and value else None

    return AwsOptions(
        profile=text("profile"), region=text("region"), endpoint_url=text("endpoint-url")
    )


def _client(opts: AwsOptions) -> Any:
    """One client per process: a forked worker must not share its parent's connections (two
    processes reading one kept-alive socket get each other's answers)."""
    key = (os.getpid(), opts)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = make_client("s3", opts)
    return client


def _uri(path: str) -> S3Uri:
    uri = parse_s3_uri(path, "input")
    if not uri.key or uri.key.endswith("/"):
        raise InputError(f"{path}: is a prefix, not an object", hint="name an object, or a folder")
    return uri


def _fail(path: str, exc: BaseException) -> InputError:
    from fineprep.io.aws import error_code

    code = error_code(exc)
    if code in {"NoSuchKey", "404", "NotFound"}:
        return InputError(f"{path}: no such object", hint="check the bucket and key")
    if code in {"NoSuchBucket"}:
        return InputError(f"{path}: no such bucket", hint="check the bucket name")
    if code in {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        return InputError(f"{path}: access denied", hint="check your AWS credentials (--profile)")
    return InputError(
        redact(f"{path}: cannot read from S3: {exc}"), hint="check the URI and try again"
    )


def _errors() -> tuple[type[BaseException], ...]:
    """What a request (or reading its answer) raises when S3, the network or a proxy fails:
    botocore's errors, and the XML and HTTP errors of an answer cut short that botocore lets
    through (GetBucketLocation's body is parsed raw; a streamed body can end early)."""
    from http.client import HTTPException
    from xml.etree.ElementTree import ParseError

    from botocore.exceptions import BotoCoreError, ClientError
    from urllib3.exceptions import HTTPError

    return (ClientError, BotoCoreError, ParseError, HTTPError, HTTPException)


def remote_size(path: str, opts: AwsOptions) -> int:
    return remote_version(path, opts)[0]


def remote_sidecar(path: str, opts: AwsOptions) -> str | None:
    """The URI of the sidecar object beside ``path`` (``k.jsonl`` -> ``k.meta.jsonl``), if
    there is one (an object that cannot be read counts as none, as a local file would)."""
    from fineprep.io.jsonl import sidecar_path

    key = PurePosixPath(path[len(PREFIX) :])
    uri = PREFIX + str(key.with_name(sidecar_path(key.name).name))
    if uri == path:
        return None
    try:
        remote_version(uri, opts)
    except InputError:
        return None
    return uri


def remote_version(path: str, opts: AwsOptions) -> tuple[int, str | None]:
    """An object's size and ETag: reads pinned to the ETag (``open_remote(etag=...)``) all
    see the version that was measured, or fail, never a mix of two."""
    uri = _uri(path)
    try:
        head = _client(opts).head_object(Bucket=uri.bucket, Key=uri.key)
    except _errors() as exc:
        raise _fail(path, exc) from None
    return int(head["ContentLength"]), head.get("ETag")


class _Body(io.RawIOBase):
    """A streaming GET body as a raw stream (buffered above it for lines and peeks)."""

    def __init__(self, body: Any, path: str) -> None:
        self._body = body
        self._path = path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data: bytes = self._body.read(len(buffer))
        except _errors() as exc:  # the answer ended before its Content-Length
            raise InputError(
                redact(f"{self._path}: the S3 answer was cut short ({type(exc).__name__})"),
                hint="try again; check the network or any proxy in between",
            ) from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


def open_remote(
    path: str, opts: AwsOptions, start: int = 0, end: int | None = None, etag: str | None = None
) -> io.BufferedReader[Any]:
    """An object (or bytes ``[start, end)`` of it) as a buffered binary stream; with ``etag``,
    only if the object is still that version (a partition reads what was planned)."""
    uri = _uri(path)
    extra: dict[str, str] = {}
    if start or end is not None:
        extra["Range"] = f"bytes={start}-" + ("" if end is None else str(end - 1))
    if etag:
        extra["IfMatch"] = etag
    try:
        response = _client(opts).get_object(Bucket=uri.bucket, Key=uri.key, **extra)
    except _errors() as exc:
        from fineprep.io.aws import error_code

        if etag and error_code(exc) in {"PreconditionFailed", "412"}:
            raise InputError(
                f"{path}: changed while it was read", hint="run again once it is stable"
            ) from None
        raise _fail(path, exc) from None
    stream = io.BufferedReader(_Body(response["Body"], path), buffer_size=_BUFFER)
    stream.etag = response.get("ETag")  # type: ignore[attr-defined]
    return stream


def list_objects(path: str, opts: AwsOptions, suffixes: tuple[str, ...]) -> list[str]:
    """The objects under a prefix whose names end in one of ``suffixes`` (sidecars left out),
    in key order."""
    return [
        uri
        for uri, _ in list_prefix(path, opts)
        if uri.endswith(suffixes) and not uri.endswith(".meta.jsonl")
    ]


def expand_inputs(paths: list[str], opts: AwsOptions, suffixes: tuple[str, ...]) -> list[str]:
    """``s3://bucket/prefix/`` becomes its objects (an empty prefix is an error); other
    paths are unchanged."""
    out: list[str] = []
    for path in paths:
        if is_prefix(path):
            found = list_objects(path, opts, suffixes)
            if not found:
                raise InputError(
                    f"{path}: no {' or '.join(suffixes)} objects under this prefix",
                    hint="check the prefix",
                )
            out.extend(found)
        else:
            out.append(path)
    return out


def _uri_key(path: str) -> str:
    return parse_s3_uri(path, "input").key


def remote_lines(path: str, opts: AwsOptions, start: int, end: int) -> Iterator[bytes]:
    """The physical lines of bytes ``[start, end)`` of an object."""
    if end <= start:
        return
    with open_remote(path, opts, start, end) as stream:
        yield from stream


def open_source(path: str, opts: AwsOptions) -> BinaryIO:
    """A JSONL input, local (``-`` is stdin) or in S3, as a binary stream."""
    if is_remote(path):
        return open_remote(path, opts)
    from fineprep.io.jsonl import open_input

    return open_input(path)


def list_prefix(path: str, opts: AwsOptions) -> list[tuple[str, int]]:
    """Every object under a prefix (a folder's files) with its size, in key order; folder
    markers (keys ending in ``/``) left out."""
    uri = parse_s3_uri(path, "input")
    prefix = uri.key if not uri.key or uri.key.endswith("/") else uri.key + "/"
    out: list[tuple[str, int]] = []
    try:
        pages = _client(opts).get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=uri.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if not item["Key"].endswith("/"):
                    out.append((f"{PREFIX}{uri.bucket}/{item['Key']}", int(item["Size"])))
    except _errors() as exc:
        raise _fail(path, exc) from None
    return sorted(out)


def is_prefix(path: str) -> bool:
    """``s3://bucket/`` or ``s3://bucket/prefix/``: a folder of objects, not one object."""
    return is_remote(path) and (path.endswith("/") or not _uri_key(path))


def download(path: str, opts: AwsOptions, dest: str) -> str | None:
    """Stream an object into a local file (1 MiB at a time, never whole in memory), checked
    against the object's size; the ETag of the version read."""
    size = remote_size(path, opts)
    got = 0
    with open_remote(path, opts) as stream, open(dest, "wb") as out:  # noqa: PTH123
        etag: str | None = getattr(stream, "etag", None)
        while chunk := stream.read(_BUFFER):
            out.write(chunk)
            got += len(chunk)
    if got != size:
        raise InputError(
            f"{path}: read {got:,} of its {size:,} bytes (the object changed while read?)",
            hint="try again",
        )
    return etag
