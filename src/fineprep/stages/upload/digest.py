"""SHA-256 digests in the two forms fineprep needs, and what S3 has stored for an object.

The manifest records the whole-file SHA-256 (hex), which anyone can recompute with
``sha256sum``. S3 stores ``ChecksumSHA256``: the base64 SHA-256 for a single PUT, and for a
multipart upload the SHA-256 of the concatenated part digests with ``-N`` (its part count)
appended, which depends on the part size. Both are computed in one streaming pass.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.io.aws import aws_error, is_not_found

MIB = 1024 * 1024
MIN_PART = 5 * MIB
MAX_PART = 5 * 1024 * MIB
MAX_PARTS = 10_000
PART_SIZE_KEY = "fineprep-part-size"
#: The KMS key the upload asked for, as given (an alias cannot be compared with the key ARN
#: S3 reports without a call to KMS; this lets a rerun with the same alias recognise it).
KMS_KEY = "fineprep-kms-key-id"
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10}
_UNITS.update({"mib": 2**20, "gib": 2**30, "k": 2**10, "m": 2**20, "g": 2**30})
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_size(text: str | int, what: str) -> int:
    """``"16MiB"``, ``"64MB"``, ``"1048576"`` -> bytes (MB is decimal, MiB binary)."""
    if isinstance(text, int):
        return text
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ConfigError(f"{what}: {text!r} is not a size", hint="write e.g. 16MiB or 64MB")
    return int(float(match.group(1)) * _UNITS[unit])


@dataclass(frozen=True)
class TransferSettings:
    """When to switch to multipart, how big the parts are, how many go up at once."""

    threshold: int = 64 * MIB
    part_size: int = 16 * MIB
    concurrency: int = 8

    def __post_init__(self) -> None:
        if self.part_size < MIN_PART or self.part_size > MAX_PART:
            raise ConfigError("--part-size must be between 5 MiB and 5 GiB (S3's part limits)")
        if self.concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")

    def layout(self, size: int) -> int:
        """The part size for a file of ``size`` bytes (0: a single PUT). Grown in whole MiB so
        that no file needs more than S3's 10,000 parts."""
        if size < self.threshold:
            return 0
        needed = -(-size // MAX_PARTS)
        return max(self.part_size, -(-needed // MIB) * MIB)


@dataclass(frozen=True)
class Digest:
    """A file's SHA-256 (hex, for people and the manifest) and S3's ChecksumSHA256 form
    (base64; for a multipart object the checksum of the part checksums, ``-N`` appended)."""

    sha256: str
    size: int
    checksum: str
    part_size: int = 0


@dataclass
class Stored:
    """What S3 says about an existing object."""

    checksum: str | None
    size: int
    sse: str | None
    version_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    kms_key_id: str | None = None

    def part_size(self) -> int:
        try:
            return int(self.metadata.get(PART_SIZE_KEY, "0"))
        except ValueError:
            return 0


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def composite(part_digests: list[bytes]) -> str:
    return f"{b64(hashlib.sha256(b''.join(part_digests)).digest())}-{len(part_digests)}"


def file_digest(path: Path, part_size: int) -> Digest:
    """Stream the file once: the whole-file SHA-256 and the checksum S3 will store."""
    whole = hashlib.sha256()
    parts: list[bytes] = []
    size = 0
    with path.open("rb") as fh:
        chunk_size = part_size or MIB
        while chunk := fh.read(chunk_size):
            whole.update(chunk)
            size += len(chunk)
            if part_size:
                parts.append(hashlib.sha256(chunk).digest())
    if part_size:
        return Digest(
            whole.hexdigest(), size, composite(parts or [hashlib.sha256().digest()]), part_size
        )
    return Digest(whole.hexdigest(), size, b64(whole.digest()))


def bytes_digest(data: bytes) -> Digest:
    digest = hashlib.sha256(data)
    return Digest(digest.hexdigest(), len(data), b64(digest.digest()))


def same_checksum(stored: str | None, local: Digest) -> bool:
    """Compare S3's stored checksum with ours (some servers omit the ``-N`` part count)."""
    if not stored:
        return False
    value, _, count = stored.partition("-")
    mine, _, my_count = local.checksum.partition("-")
    return value == mine and (not count or count == my_count)


def head(client: Any, bucket: str, key: str, owner: dict[str, str]) -> Stored | None:
    """The object's stored checksum, encryption and version, or None if there is none."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resp = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED", **owner)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise aws_error(exc, f"s3://{bucket}/{key}: reading the object's checksum") from None
    except BotoCoreError as exc:
        raise aws_error(exc, f"s3://{bucket}/{key}: reading the object's checksum") from None
    version = resp.get("VersionId")
    return Stored(
        checksum=resp.get("ChecksumSHA256"),
        size=int(resp.get("ContentLength", 0)),
        sse=resp.get("ServerSideEncryption"),
        version_id=None if version in (None, "null") else str(version),
        metadata={k.lower(): v for k, v in (resp.get("Metadata") or {}).items()},
        kms_key_id=resp.get("SSEKMSKeyId"),
    )


def _key_id(text: str) -> str:
    """``arn:aws:kms:region:account:key/ID`` -> ``ID``; other spellings as they are."""
    return text.rsplit(":key/", 1)[1] if ":key/" in text else text


def same_kms_key(stored: str | None, wanted: str) -> bool | None:
    """Whether S3's key for an object is the key asked for (None: cannot tell, ``wanted`` is
    an alias, which only KMS can resolve)."""
    if stored is None:
        return False
    if stored == wanted or _key_id(stored) == _key_id(wanted):
        return True
    if wanted.startswith("alias/") or ":alias/" in wanted:
        return None
    return False


def encrypted_as(stored: Stored, sse: dict[str, str]) -> bool | None:
    """Whether an object is encrypted as ``sse`` asks (algorithm and, for SSE-KMS, key)."""
    if stored.sse != sse["ServerSideEncryption"]:
        return False
    wanted = sse.get("SSEKMSKeyId")
    return True if wanted is None else same_kms_key(stored.kms_key_id, wanted)


def sse_metadata(sse: dict[str, str]) -> dict[str, str]:
    wanted = sse.get("SSEKMSKeyId")
    return {KMS_KEY: wanted} if wanted else {}


def matches(
    stored: Stored | None, path: Path, settings: TransferSettings, sse: dict[str, str]
) -> Digest | None:
    """The local digest if ``stored`` already holds exactly this file, encrypted as asked: the
    same bytes under another algorithm or KMS key are a change, sent again."""
    if stored is None or not stored.checksum:
        return None
    encrypted = encrypted_as(stored, sse)
    if encrypted is None:  # an alias: the same one as the object was sent with
        encrypted = stored.metadata.get(KMS_KEY) == sse.get("SSEKMSKeyId")
    if not encrypted:
        return None
    size = path.stat().st_size
    if stored.size != size:
        return None
    multipart = "-" in stored.checksum or stored.part_size() > 0
    part_size = (
        (stored.part_size() or settings.layout(size) or settings.part_size) if multipart else 0
    )
    local = file_digest(path, part_size)
    return local if same_checksum(stored.checksum, local) else None


def file_stamp(path: Path) -> tuple[int, int]:
    """Size and modification time: enough to notice a file changed between check and upload."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns
