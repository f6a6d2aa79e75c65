"""``upload --dry-run``: what a real upload would send, found without writing anything.

Every object is listed with its key, size, SHA-256 and encryption, and whether it would be
sent or skipped (S3 already holds it with the same checksum and encryption: a HEAD, a read).
Nothing is put, deleted or written locally: not the data, not manifest.json, not the job
request. The same checks as a real run come first, so a dry run that passes is one that would
upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fineprep.core.s3uri import parse_s3_uri
from fineprep.stages.upload.digest import TransferSettings, file_digest, head, matches


@dataclass(frozen=True)
class PlannedObject:
    """One object a real run would send (``action`` "upload") or leave (``"skip"``)."""

    uri: str
    path: str
    role: str
    size: int
    sha256: str
    encryption: str
    kms_key_id: str | None
    action: str

    def describe(self) -> str:
        key = f" ({self.kms_key_id})" if self.kms_key_id else ""
        verb = "would upload" if self.action == "upload" else "would skip (already stored)"
        return (
            f"{verb} {self.uri}: {self.size:,} bytes, sha256 {self.sha256}, {self.encryption}{key}"
        )


def plan(
    client: Any,
    bucket: str,
    owner: dict[str, str],
    targets: list[tuple[Any, str]],
    transfer: TransferSettings,
    sse: dict[str, str],
) -> list[PlannedObject]:
    """The objects of ``targets`` (local file, URI) as a real run would treat them."""
    algorithm = sse["ServerSideEncryption"]
    kms = sse.get("SSEKMSKeyId")
    out = []
    for f, uri in targets:
        path = Path(f.path)
        stored = head(client, bucket, parse_s3_uri(uri).key, owner)
        same = matches(stored, path, transfer, sse)
        digest = same or file_digest(path, 0)
        out.append(
            PlannedObject(
                uri=uri,
                path=str(path),
                role=str(f.role),
                size=digest.size,
                sha256=digest.sha256,
                encryption=algorithm,
                kms_key_id=kms,
                action="skip" if same is not None else "upload",
            )
        )
    return out
