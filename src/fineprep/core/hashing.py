"""Stable 64-bit content hashes (the same in every process and on every machine).

Duplicate detection keeps only these hashes; they must not depend on PYTHONHASHSEED because
partitions of a dataset may be hashed in different processes. They are XXH3-64: every record's
context and answer are hashed, and XXH3 runs at memory speed where blake2b took ~1.4 us per KB
(a fifth of a valid record's check time). The hashes are never stored, so nothing depends on
the function beyond one run; collisions are as rare as for any 64-bit hash, and a fix drops a
duplicate only after comparing the records themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from xxhash import xxh3_64_intdigest

_SEP_FIELD = "\x1f"
_SEP_ROLE = "\x1e"
_SEP_OTHER = b"\x1d"
#: Seeds of single-segment hashes, by role.
_ROLE_SEEDS: dict[str, int] = {}


#: A 64-bit hash of bytes (the C function itself: no Python frame per call).
hash_bytes: Callable[[bytes], int] = xxh3_64_intdigest


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
        part = parts[0]
        if not others:  # the common segment: its role seeds the hash (no joined copy)
            seed = _ROLE_SEEDS.get(part.role)
            if seed is None:
                seed = _ROLE_SEEDS[part.role] = hash_bytes(
                    part.role.encode("utf-8", "surrogatepass")
                )
            return xxh3_64_intdigest(part.text.encode("utf-8", "surrogatepass"), seed)
        joined = part.role + _SEP_ROLE + part.text
    else:
        joined = _SEP_FIELD.join([p.role + _SEP_ROLE + p.text for p in parts])
    data = joined.encode("utf-8", "surrogatepass")
    if others:
        data = _SEP_OTHER.join([data, *others])
    return hash_bytes(data)
