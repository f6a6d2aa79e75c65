"""Stable 64-bit content hashes (the same in every process and on every machine).

Duplicate detection keeps only these hashes; they must not depend on PYTHONHASHSEED because
partitions of a dataset may be hashed in different processes.
"""

from __future__ import annotations

from hashlib import blake2b

_SEP_FIELD = "\x1f"
_SEP_ROLE = "\x1e"


def hash_bytes(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


def hash_texts(parts: list[tuple[str, str]]) -> int:
    """Hash of a sequence of (role, text) pairs; order and roles matter, nothing else."""
    joined = _SEP_FIELD.join(role + _SEP_ROLE + text for role, text in parts)
    return hash_bytes(joined.encode("utf-8", "surrogatepass"))
