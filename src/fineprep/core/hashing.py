"""Stable 64-bit content hashes (the same in every process and on every machine).

Duplicate detection keeps only these hashes; they must not depend on PYTHONHASHSEED because
partitions of a dataset may be hashed in different processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b
from typing import Protocol

_SEP_FIELD = "\x1f"
_SEP_ROLE = "\x1e"
_SEP_OTHER = b"\x1d"


def hash_bytes(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


class Text(Protocol):
    """A role and a text (a record segment)."""

    @property
    def role(self) -> str: ...

    @property
    def text(self) -> str: ...


def hash_texts(parts: Sequence[Text], others: Sequence[bytes] = ()) -> int:
    """Hash of a sequence of texts with their roles, and of the record's other content
    (canonical JSON of media and tool blocks); order and roles matter, nothing else."""
    if len(parts) == 1:
        joined = parts[0].role + _SEP_ROLE + parts[0].text
    else:
        joined = _SEP_FIELD.join([p.role + _SEP_ROLE + p.text for p in parts])
    data = joined.encode("utf-8", "surrogatepass")
    if others:
        data = _SEP_OTHER.join([data, *others])
    return hash_bytes(data)
