"""MinHash signatures over word shingles (the pairs are found by :mod:`fineprep.stages.check.lsh`).

Near-duplicate detection (D003) and near leakage between splits (D004) compare every record
with every other; done pairwise that is quadratic. A MinHash signature estimates the Jaccard
similarity of two records' shingle sets from a few hundred bytes, and banding the signatures
(:mod:`.lsh`) puts records that share a band in one bucket, so only bucket-mates are
compared.

Signatures are one-permutation MinHash with optimal densification (Shrivastava, ICML 2017):
each shingle is hashed once, its hash picks one of ``num_perm`` bins and the bin keeps its
minimum; bins left empty (short texts) borrow the value of the first non-empty bin in a fixed
pseudo-random order of the bins. That costs one hash per shingle instead of ``num_perm``, with
the variance of classic MinHash, so long records cost little more than short ones.

Everything is vectorised over batches of records with numpy: text is normalised with one
``bytes.translate``, words are hashed with a polynomial hash taken from prefix sums (no Python
loop over words) and bin minima come from ``np.minimum.at``. The state a caller keeps is the
signature matrix (``num_perm`` × 4 bytes per record), mergeable across partitions by
concatenation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

_SPACE = 0x20
#: ASCII letters lower-cased; ASCII other than letters, digits and '_' becomes a space; bytes
#: of non-ASCII characters are kept (they are parts of words in most scripts).
_TABLE = bytes(
    b + 32 if 65 <= b <= 90 else b if (b >= 128 or chr(b).isalnum() or b == 95) else _SPACE
    for b in range(256)
)
#: Base of the polynomial word hash (odd, so it is invertible modulo 2**64).
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 1 << 64)
#: Per-position multipliers that combine word hashes into a shingle hash.
_POSITION = np.random.default_rng(11).integers(1, 1 << 62, size=64, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)
#: Text hashed at once: the prefix-hash arrays take 8 bytes per byte of text.
_CHUNK_BYTES = 1 << 19
#: Raw texts prepared at once by ``MinHasher.signatures`` (bounds the prepared copies).
_TEXTS = 4096
_EMPTY_BIN = np.uint64(1 << 32)
#: Densification steps taken along the borrowing orders before comparing ranks at once.
_WALK = 32
#: Steps taken for every open bin at once, before stepping the rest one by one.
_BLOCK = 8
#: Records with at most this many non-empty bins skip the walk (it would rarely hit).
_FEW = 4


def prepare(text: str) -> bytes:
    """UTF-8 bytes with ASCII case and punctuation folded away (words split by spaces)."""
    return text.encode("utf-8", "surrogatepass").translate(_TABLE)


def mix(x: U64) -> U64:
    """The splitmix64 finaliser (in place): spreads a hash over all 64 bits."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class _Powers:
    """BASE**i and BASE**-i modulo 2**64, grown on demand and shared by every batch."""

    def __init__(self) -> None:
        self.pos: U64 = np.ones(1, dtype=np.uint64)
        self.neg: U64 = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.pos) >= n:
            return
        size = max(n, len(self.pos) + len(self.pos) // 2)
        self.pos = self._series(_BASE, size)
        self.neg = self._series(_BASE_INV, size)

    @staticmethod
    def _series(base: int, size: int) -> U64:
        out = np.empty(size, dtype=np.uint64)
        out[0] = 1
        with np.errstate(over="ignore"):
            np.cumprod(np.full(size - 1, base, dtype=np.uint64), out=out[1:])
        return out


_POWERS = _Powers()


def _word_hashes(buf: npt.NDArray[np.uint8]) -> tuple[I64, U64]:
    """Start offsets and 64-bit hashes of the words (runs of non-space bytes) of ``buf``."""
    size = len(buf)
    word = (buf != _SPACE).view(np.int8)
    edge = np.diff(word, prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    _POWERS.ensure(size + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(size + 1, dtype=np.uint64)
        np.cumsum(buf.astype(np.uint64) * _POWERS.neg[:size], out=prefix[1:])
        hashes = (prefix[ends] - prefix[starts]) * _POWERS.pos[ends - 1]
        hashes ^= (ends - starts).astype(np.uint64) << np.uint64(56)
        return starts, mix(hashes)


def shingle_hashes(docs: Sequence[bytes], k: int) -> tuple[U64, I64]:
    """64-bit hashes of every k-word shingle of each :func:`prepare`d document, and counts.

    A document with fewer than ``k`` words yields one shingle (all its words); a document
    without words yields none.
    """
    n = len(docs)
    joined = b" ".join(docs)
    buf = np.frombuffer(joined, dtype=np.uint8)
    starts, words_hash = _word_hashes(buf)
    doc_start = np.cumsum([len(d) + 1 for d in docs]) - np.array([len(d) + 1 for d in docs])
    first = np.searchsorted(starts, doc_start)
    words = np.diff(np.append(first, len(starts))).astype(np.int64)
    counts = np.where(words > 0, np.maximum(words - k + 1, 1), 0).astype(np.int64)
    total = int(counts.sum())
    doc_of = np.repeat(np.arange(n), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    start_word = first[doc_of] + offset
    last_word = (first + words - 1)[doc_of]
    out = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(min(k, len(_POSITION))):
            idx = start_word + i
            term = words_hash[np.minimum(idx, last_word)] * _POSITION[i]
            out += np.where(idx <= last_word, term, np.uint64(0))
    return out, counts


class MinHasher:
    """Computes ``num_perm``-wide one-permutation MinHash signatures, a batch at a time.

    The salt, bin probes and hash constants come from a fixed seed, so signatures are the same
    in every process and can be merged across partitions.
    """

    def __init__(self, num_perm: int = 128, shingle: int = 3, seed: int = 1) -> None:
        if not 8 <= num_perm <= 1024 or shingle < 1:
            raise ValueError("num_perm must be in 8..1024 and shingle >= 1")
        self.num_perm = num_perm
        self.shingle = shingle
        rng = np.random.default_rng(seed)
        self.salt = np.uint64(int(rng.integers(0, 1 << 63)))
        # order[j]: bin j's borrowing order (a permutation); rank[j, k]: where k comes in it.
        self.order = np.argsort(rng.random((num_perm, num_perm)), axis=1)
        self.rank = np.argsort(self.order, axis=1).astype(np.int16)
        #: steps[t][j]: the bin that bin j looks at in step t of its order.
        self.steps = np.ascontiguousarray(self.order.T)
        #: The first _BLOCK steps of each bin's order, a row per bin.
        self.first_steps = np.ascontiguousarray(self.order[:, :_BLOCK])

    def signatures(self, texts: Sequence[str]) -> tuple[U32, Mask]:
        """Signatures of raw texts and a mask of texts without any word."""
        if len(texts) <= _TEXTS:
            return self.signatures_of_docs([prepare(t) for t in texts])
        parts = [self.signatures(texts[lo : lo + _TEXTS]) for lo in range(0, len(texts), _TEXTS)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def signatures_of_docs(self, docs: Sequence[bytes]) -> tuple[U32, Mask]:
        """Signatures of :func:`prepare`d documents, hashed ~0.5 MB of text at a time."""
        sigs: list[U32] = []
        empty: list[Mask] = []
        lo = 0
        while lo < len(docs) or not sigs:
            hi, size = lo, 0
            while hi < len(docs) and (hi == lo or size + len(docs[hi]) <= _CHUNK_BYTES):
                size += len(docs[hi]) + 1
                hi += 1
            sig, none = self._chunk(docs[lo:hi])
            sigs.append(sig)
            empty.append(none)
            lo = hi
        return np.concatenate(sigs), np.concatenate(empty)

    def _chunk(self, docs: Sequence[bytes]) -> tuple[U32, Mask]:
        n, bins = len(docs), self.num_perm
        hashes, counts = shingle_hashes(docs, self.shingle)
        with np.errstate(over="ignore"):
            h = mix(hashes ^ self.salt)
            slot = ((h >> np.uint64(32)) * np.uint64(bins)) >> np.uint64(32)
            flat = np.full(n * bins, _EMPTY_BIN, dtype=np.uint64)
            target = np.repeat(np.arange(n, dtype=np.uint64), counts) * np.uint64(bins) + slot
            np.minimum.at(flat, target.astype(np.int64), h & np.uint64(0xFFFFFFFF))
        sig = flat.reshape(n, bins)
        none = counts == 0
        self._densify(sig, none)
        return sig.astype(np.uint32), none

    def _densify(self, sig: U64, none: Mask) -> None:
        """Fill empty bins in place: bin ``j`` takes the first non-empty bin in its order ``π_j``.

        The orders depend only on the bin, so two records with the same shingles always borrow
        alike (what makes the densified bins valid MinHash values). Empty bins walk their
        orders (the first steps of all of them in one gather, then step by step for the few
        still open, in flat indices: a walk costs ~bins/m steps for m non-empty bins); bins
        still open after ``_WALK`` steps, and records with at most ``_FEW`` non-empty bins,
        compare the ranks of the non-empty bins at once.
        """
        filled = sig != _EMPTY_BIN
        m = filled.sum(axis=1)
        todo = np.flatnonzero((m > 0) & (m < self.num_perm))
        if len(todo):
            part = sig[todo]
            self._fill(part, filled[todo], m[todo])
            sig[todo] = part
        sig[none] = np.uint64(0xFFFFFFFF)

    def _fill(self, sig: U64, filled: Mask, m: I64) -> None:
        """Densify rows that have some but not all bins (``m`` non-empty each)."""
        bins = self.num_perm
        original = sig.reshape(-1).copy()
        flat_filled = filled.reshape(-1)
        empty = np.flatnonzero(~flat_filled)
        rows, cols = np.divmod(empty, bins)
        few = m[rows] <= _FEW
        # The walk, in flat indices: the first _BLOCK steps of every open bin at once, then one
        # step at a time for the few bins still open.
        at, cols = empty[~few], cols[~few]
        base = at - cols
        probe = base[:, None] + self.first_steps.take(cols, axis=0)
        hits = flat_filled.take(probe)
        first = hits.argmax(axis=1)
        lane = np.arange(len(at))
        source = probe[lane, first]
        pending = np.flatnonzero(~hits[lane, first])
        base, cols = base[pending], cols[pending]
        steps = self.steps
        for step in range(_BLOCK, min(_WALK, bins)):  # every order ends within ``bins`` steps
            if not len(pending):
                break
            probe1 = base + steps[step].take(cols)
            hit = flat_filled.take(probe1)
            source[pending[hit]] = probe1[hit]
            miss = ~hit
            pending, base, cols = pending[miss], base[miss], cols[miss]
        done = np.ones(len(at), dtype=bool)
        done[pending] = False
        sig.reshape(-1)[at[done]] = original.take(source[done])
        # Records with few non-empty bins, and the bins still open: by rank, in one pass.
        by_rank = np.concatenate((empty[few], at[pending]))
        if len(by_rank):
            self._by_rank(sig, original, filled, m, by_rank // bins, by_rank % bins)

    def _by_rank(self, sig: U64, original: U64, filled: Mask, m: I64, rows: I64, cols: I64) -> None:
        """Empty bins ``(rows, cols)`` settled at once: each takes the non-empty bin of its row
        with the lowest rank in the bin's order. The pairs are grouped by their row's count of
        non-empty bins rounded up to a power of two, so the candidates padded per group cost
        at most twice the bins compared."""
        bins = self.num_perm
        # The non-empty bins of each row, ascending, left-aligned; a row's padding repeats its
        # last one and is masked out by ``inside``.
        _, at_c = np.nonzero(filled)
        row_start = np.concatenate(([0], np.cumsum(m)[:-1]))
        count = m[rows]
        width = np.int64(1) << np.ceil(np.log2(np.maximum(count, 1))).astype(np.int64)
        flat_rank = self.rank.reshape(-1)
        for w in np.unique(width).tolist():
            pick = np.flatnonzero(width == w)
            r, c, n = rows[pick], cols[pick], count[pick]
            slot = np.arange(w)
            inside = slot[None, :] < n[:, None]
            pos = row_start[r][:, None] + np.minimum(slot[None, :], n[:, None] - 1)
            cand = at_c[pos]
            ranks = np.where(inside, flat_rank[(c * bins)[:, None] + cand], np.int16(bins))
            best = np.take_along_axis(cand, ranks.argmin(axis=1)[:, None], axis=1)[:, 0]
            sig.reshape(-1)[r * bins + c] = original.take(r * bins + best)
