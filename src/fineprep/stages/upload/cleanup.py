"""Cleaning up after failures in S3: nothing unverified stays, nothing open is forgotten.

A PUT whose answer is lost may still have stored the object; a read-back that fails says
nothing about what is there; a run killed during a multipart upload leaves its parts open
(billed, invisible in listings). These helpers settle each case so S3 never holds an object
or manifest a run did not verify, and a rerun aborts what an earlier run left open.
"""

from __future__ import annotations

from typing import Any

from fineprep.core.errors import UploadError
from fineprep.io.aws import aws_error, error_code
from fineprep.stages.upload.digest import Digest, encrypted_as, head, same_checksum


def delete_object(client: Any, bucket: str, key: str, owner: dict[str, str]) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.delete_object(Bucket=bucket, Key=key, **owner)
    except (BotoCoreError, ClientError) as exc:
        raise aws_error(exc, f"s3://{bucket}/{key}: delete failed") from None


def settle(
    client: Any,
    bucket: str,
    key: str,
    digest: Digest,
    error: UploadError,
    sse: dict[str, str],
    owner: dict[str, str],
    blind: bool = False,
) -> UploadError:
    """After a failed PUT or read-back, leave no object this run wrote and did not verify:
    an object with our checksum and encryption is verified (kept), one with our checksum
    but other encryption is removed, another object (an earlier run's) is not ours to
    touch. ``blind``: remove whatever is there. Returns the error to raise."""
    where = f"s3://{bucket}/{key}"
    try:
        if not blind:
            stored = head(client, bucket, key, owner)
            if stored is None or not same_checksum(stored.checksum, digest):
                return error
            if encrypted_as(stored, sse) is not False:
                return UploadError(f"{error.message} (stored and verified)", hint=error.hint)
        delete_object(client, bucket, key, owner)
    except UploadError:
        return UploadError(
            f"{error.message}; {where} may hold an object this run could not verify",
            hint="delete it, or run the upload again",
        )
    return UploadError(f"{error.message}; the object was removed", hint=error.hint)


def abort_incomplete(client: Any, bucket: str, prefix: str, owner: dict[str, str]) -> list[str]:
    """Abort every multipart upload left open under ``prefix`` (an earlier run killed, or
    whose answer was lost, leaves parts S3 bills for and never shows); the keys aborted.
    Listing needs s3:ListBucketMultipartUploads: without it nothing is aborted."""
    from botocore.exceptions import BotoCoreError, ClientError

    aborted: list[str] = []
    where = f"s3://{bucket}/{prefix}"
    try:
        pages = client.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, Prefix=prefix, **owner
        )
        for page in pages:
            for item in page.get("Uploads") or []:
                client.abort_multipart_upload(
                    Bucket=bucket, Key=item["Key"], UploadId=item["UploadId"], **owner
                )
                aborted.append(str(item["Key"]))
    except ClientError as exc:
        if error_code(exc) in ("AccessDenied", "NotImplemented"):
            return aborted
        raise aws_error(exc, f"{where}: aborting incomplete multipart uploads") from None
    except BotoCoreError as exc:
        raise aws_error(exc, f"{where}: aborting incomplete multipart uploads") from None
    return aborted
