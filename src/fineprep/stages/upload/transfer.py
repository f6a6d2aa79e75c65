"""Moving one file to S3 with SHA-256 checksums, verified after the fact.

Every request carries the SHA-256 we computed locally (``x-amz-checksum-sha256``), so S3
refuses a body that changed on the way; after the upload the checksum S3 stored is read back
(HEAD with ChecksumMode=ENABLED) and compared with ours, so a successful return means the
object in S3 is byte for byte the file that was checked. Large files go up in parts, at most
``concurrency`` parts in memory at once; a failed multipart upload is aborted, so no orphaned
parts (which S3 bills for) and no partial object remain, and one a killed run left open is
aborted by the next (:meth:`Uploader.abort_incomplete`). After a failed PUT or read-back the
object is looked at again: kept only if it is verifiably this run's, with the encryption asked
for (an encryption mismatch removes it), never left unverified.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from fineprep.core.errors import UploadError
from fineprep.io.aws import aws_error, error_code
from fineprep.stages.upload.cleanup import abort_incomplete, delete_object, settle
from fineprep.stages.upload.digest import (
    PART_SIZE_KEY,
    Digest,
    TransferSettings,
    b64,
    bytes_digest,
    composite,
    encrypted_as,
    file_digest,
    head,
    same_checksum,
    sse_metadata,
)

#: progress(key, bytes_sent, bytes_total), called as parts complete (from worker threads)
Progress = Callable[[str, int, int], None]


class Uploader:
    """Puts files into one bucket with fixed encryption, owner check and transfer settings."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        sse: dict[str, str],
        owner: dict[str, str],
        settings: TransferSettings,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.sse = sse
        self.owner = owner
        self.settings = settings
        self.progress = progress
        self._sent = 0
        self._lock = threading.Lock()

    def _advance(self, key: str, nbytes: int, total: int) -> None:
        if self.progress is None:
            return
        with self._lock:
            self._sent += nbytes
            sent = self._sent
        self.progress(key, sent, total)

    def put_file(self, path: Path, key: str) -> tuple[Digest, str | None]:
        """Upload and verify; returns the digest and the new version ID (if versioned)."""
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"s3://{self.bucket}/{key}"
        size = path.stat().st_size
        self._sent = 0
        part_size = self.settings.layout(size)
        try:
            with path.open("rb") as fh:
                if part_size:
                    digest = self._multipart(fh, key, part_size)
                else:
                    digest = file_digest(path, 0)
                    self._put_object(key, fh, digest, ContentLength=size)
        except (BotoCoreError, ClientError) as exc:
            # The PUT may have landed although its answer did not: nothing unverified stays.
            error = aws_error(exc, f"{where}: upload failed")
            raise self._settle(key, file_digest(path, part_size), error) from None
        if not part_size:
            self._advance(key, size, size)
        return digest, self._verified(key, digest)

    def put_bytes(self, data: bytes, key: str, content_type: str) -> tuple[Digest, str | None]:
        """PUT a small object (the manifest, a commit marker) and read it back; on any failure
        it is removed again (its absence only says the upload is not complete), or the error
        says it may remain."""
        from botocore.exceptions import BotoCoreError, ClientError

        digest = bytes_digest(data)
        try:
            self._put_object(key, data, digest, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            error = aws_error(exc, f"s3://{self.bucket}/{key}: upload failed")
            raise self._settle(key, digest, error, blind=True) from None
        return digest, self._verified(key, digest, blind=True)

    def _settle(
        self, key: str, digest: Digest, error: UploadError, *, blind: bool = False
    ) -> UploadError:
        return settle(self.client, self.bucket, key, digest, error, self.sse, self.owner, blind)

    def abort_incomplete(self, prefix: str) -> list[str]:
        """Abort the multipart uploads an earlier run left open under ``prefix``."""
        return abort_incomplete(self.client, self.bucket, prefix, self.owner)

    def _verified(self, key: str, digest: Digest, *, blind: bool = False) -> str | None:
        """:meth:`verify`, settling the object when the read-back itself fails."""
        try:
            return self.verify(key, digest)
        except UploadError as exc:
            if "was removed" in exc.message:
                raise
            raise self._settle(key, digest, exc, blind=blind) from None

    def _put_object(self, key: str, body: Any, digest: Digest, **extra: Any) -> None:
        """One single-part PUT: every object gets its SHA-256, encryption and owner check."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=digest.checksum,
            Metadata={PART_SIZE_KEY: "0", **sse_metadata(self.sse)},
            **extra,
            **self.sse,
            **self.owner,
        )

    def delete(self, key: str) -> None:
        delete_object(self.client, self.bucket, key, self.owner)

    def verify(self, key: str, digest: Digest) -> str | None:
        """Read back the stored checksum; a mismatch removes the object and fails."""
        stored = head(self.client, self.bucket, key, self.owner)
        where = f"s3://{self.bucket}/{key}"
        if stored is None:
            raise UploadError(f"{where}: object missing right after its upload", hint="retry")
        if not same_checksum(stored.checksum, digest):
            with contextlib.suppress(Exception):
                self.delete(key)
            raise UploadError(
                f"{where}: stored SHA-256 checksum {stored.checksum or 'none'} does not match "
                f"the local file's {digest.checksum}; the object was removed",
                hint="retry the upload; if it persists, check for a proxy rewriting requests",
            )
        if encrypted_as(stored, self.sse) is False:
            # Not what was asked for: the object must not stay where a job would read it.
            with contextlib.suppress(Exception):
                self.delete(key)
            wanted = " ".join(self.sse.values())
            got = " ".join(v for v in (stored.sse, stored.kms_key_id) if v) or "none"
            raise UploadError(
                f"{where}: stored with encryption {got}, not {wanted}; the object was removed",
                hint="check the bucket's default encryption and policies",
            )
        return stored.version_id

    # ------------------------------------------------------------------ multipart
    def _multipart(self, fh: BinaryIO, key: str, part_size: int) -> Digest:
        resp = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ChecksumAlgorithm="SHA256",
            Metadata={PART_SIZE_KEY: str(part_size), **sse_metadata(self.sse)},
            **self.sse,
            **self.owner,
        )
        upload_id: str = resp["UploadId"]
        try:
            whole, parts = self._send_parts(fh, key, upload_id, part_size)
            digest = Digest(
                whole.hexdigest(),
                sum(size for _, _, _, size in parts),
                composite([d for _, _, d, _ in parts]),
                part_size,
            )
            self._complete(key, upload_id, parts, digest)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, **self.owner
                )
            raise
        return digest

    def _send_parts(
        self, fh: BinaryIO, key: str, upload_id: str, part_size: int
    ) -> tuple[Any, list[tuple[int, str, bytes, int]]]:
        whole = hashlib.sha256()
        window = threading.BoundedSemaphore(self.settings.concurrency)
        failed = threading.Event()
        futures: list[Future[tuple[int, str, bytes, int]]] = []

        total = os.fstat(fh.fileno()).st_size

        def done(future: Future[tuple[int, str, bytes, int]]) -> None:
            if future.cancelled() or future.exception() is not None:
                failed.set()
            else:
                self._advance(key, future.result()[3], total)
            window.release()

        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="fineprep-s3")
        try:
            number = 0
            while not failed.is_set():
                window.acquire()  # bounded memory: at most `concurrency` parts in flight
                chunk = fh.read(part_size)
                if not chunk:
                    window.release()
                    break
                number += 1
                whole.update(chunk)
                future = pool.submit(self._part, key, upload_id, number, chunk)
                future.add_done_callback(done)
                futures.append(future)
                if len(chunk) < part_size:
                    break
            parts = [f.result() for f in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return whole, parts

    def _part(
        self, key: str, upload_id: str, number: int, chunk: bytes
    ) -> tuple[int, str, bytes, int]:
        digest = hashlib.sha256(chunk).digest()
        resp = self.client.upload_part(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=chunk,
            ContentLength=len(chunk),
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=b64(digest),
            **self.owner,
        )
        stored = resp.get("ChecksumSHA256")
        if stored and stored != b64(digest):
            raise UploadError(
                f"s3://{self.bucket}/{key}: part {number} stored with checksum {stored}, "
                f"sent {b64(digest)}"
            )
        return number, str(resp["ETag"]), digest, len(chunk)

    def _complete(
        self, key: str, upload_id: str, parts: list[tuple[int, str, bytes, int]], digest: Digest
    ) -> None:
        from botocore.exceptions import ClientError

        listing = [
            {"PartNumber": n, "ETag": etag, "ChecksumSHA256": b64(d)} for n, etag, d, _ in parts
        ]
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": listing},
                **self.owner,
            )
        except ClientError as exc:
            # A retried Complete whose first attempt succeeded (the answer was lost) finds the
            # upload gone: the object is there if its checksum is ours.
            if error_code(exc) != "NoSuchUpload":
                raise
            stored = head(self.client, self.bucket, key, self.owner)
            if stored is None or not same_checksum(stored.checksum, digest):
                raise
