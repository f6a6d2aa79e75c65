"""The keyed hash that orders units and breaks ties: blake2b keyed with the seed.

Kept apart from the assignment so that anything ordering records by the split's seed (the
assignment, downsampling, tie-breaks between strata) hashes them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b


def keyed_hash(seed: int, key: bytes, purpose: bytes = b"split") -> int:
    """A 64-bit hash of ``key`` keyed with the seed (blake2b's key), separated by purpose."""
    return keyed_hasher(seed, purpose)(key)


def keyed_hasher(seed: int, purpose: bytes = b"split") -> Callable[[bytes], int]:
    """``keyed_hash`` for many keys: the keyed state is built once and copied per key (keying
    costs a compression of its own)."""
    base = blake2b(digest_size=8, key=str(seed).encode(), person=purpose)

    def hash_key(key: bytes) -> int:
        digest = base.copy()
        digest.update(key)
        return int.from_bytes(digest.digest(), "big")

    return hash_key
