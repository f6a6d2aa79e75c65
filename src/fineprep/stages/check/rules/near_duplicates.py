"""D003/D004: near-duplicates within a file, and records of validation/test sets found in train.

Per record the check keeps three 64-bit hashes (the whole record with roles, the context
before the final answer, and the record's images, videos and tool blocks, so that records pair
only when those are the same) and, per batch of records, a MinHash signature of its word shingles
(``num-perm`` × 4 bytes). Signatures are computed a batch at a time, vectorised, and the texts
are dropped straight after, so memory grows with the signature width, not the text. The state
is mergeable: concatenating the arrays of two partitions is the state of their union.

D003 compares records of one file; D004 compares each validation or test record with every
training record, exactly (the same record, or the same input) and nearly (MinHash + LSH).
A variant made by ``fineprep augment`` is a near-copy of its original on purpose: D003 does not
pair it with the record its sidecar names in ``augmented_from`` (it still does with any other).
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any, ClassVar

from fineprep.core.hashing import hash_bytes
from fineprep.core.rules import option, rule
from fineprep.stages.check.rules.augmented import id_hash, without_own_originals
from fineprep.stages.check.rules.base import Check, register

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from fineprep.formats.base import View
    from fineprep.stages.check.minhash import I64, U64, MinHasher
    from fineprep.stages.check.state import FileState, RecordContext, RunState

rule(
    "D003",
    "near-duplicate",
    "warning",
    "near-identical to an earlier record (similarity in `data`)",
    what="A record whose words are nearly the same as an earlier record's in the same file: "
    "the estimated Jaccard similarity of their word shingles (runs of `shingle` words, lower-"
    "cased, punctuation ignored) is at least `threshold` (default 0.9). System prompts are left "
    "out, since one shared system prompt is normal; identical records are D001's.",
    why="Near-copies (the same ticket with a different greeting, one template filled twice) "
    "over-weight one example like exact duplicates do, and they slip past exact-match checks.",
    example="line 812 is 0.94 similar to line 77 (same complaint, one word changed)",
    default_enabled=False,
    fix="Keep one of each near-identical pair (the finding names the earlier line), or vary the "
    "examples. Tune with [tool.fineprep.checks.D003] threshold = 0.95. Opt-in in `check` "
    "(--select/--extend-select D003: it keeps ~512 bytes per record); on in `fineprep run`.",
    options={
        "threshold": "similarity (0-1) from which records count as near-duplicates (0.9)",
        "shingle": "words per shingle (3); also used by D004",
        "num-perm": "MinHash functions per record (128); also used by D004",
    },
)
rule(
    "D004",
    "split-leak",
    "error",
    "a validation/test record also appears (exactly or nearly) in train",
    what="A record of a validation or test file that is identical to a training record, has "
    "the same input (prompt and earlier turns) as one, or is nearly identical to one "
    "(similarity of at least `threshold`, default 0.9, as for D003).",
    why="The model has already seen the answer, so validation loss and test scores measure "
    "memory instead of generalisation and look better than the model is.",
    example="validation.jsonl:14 is identical to train.jsonl:2031",
    fix="Remove the record from one side, or split again with `fineprep split`, which keeps "
    "identical records, records with the same input, near-duplicates and groups given with "
    "--group on one side (split.json counts the records it kept together).",
    options={"threshold": "similarity (0-1) from which a pair counts as leaked (0.9)"},
)

#: Records per signature batch, and the text volume that flushes a batch early.
_BATCH = 4096
_BATCH_BYTES = 8 << 20
_PAIR = struct.Struct("<QQ")


@dataclass
class FileSignatures:
    """Mergeable near-duplicate state of one file: lines, exact hashes, MinHash signatures."""

    path: str
    role: str
    lines: array[int] = field(default_factory=lambda: array("I"))
    full: array[int] = field(default_factory=lambda: array("Q"))
    context: array[int] = field(default_factory=lambda: array("Q"))
    #: Hash of each record's non-text content (0: none): records pair only within one value.
    salt: array[int] = field(default_factory=lambda: array("Q"))
    sigs: list[npt.NDArray[np.uint32]] = field(default_factory=list)
    empty: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    #: Hashes of each record's sidecar id and of the original it was made from (0: none).
    ident: array[int] = field(default_factory=lambda: array("Q"))
    origin: array[int] = field(default_factory=lambda: array("Q"))


#: Characters of a record compared for near-duplicates: records that share their first
#: megabyte are near-duplicates for training purposes, and shingling a 50 MB blob would take
#: gigabytes of arrays.
NEAR_TEXT_LIMIT = 1_000_000


#: Not compared: the system prompt (shared by design) and an RFT reference answer (RFT prompts
#: are judged on the prompt, whatever the grader expects back).
_NOT_COMPARED = frozenset({"system", "reference"})


def near_text(view: View) -> str:
    """The text compared for near-duplicates: every segment but the system prompt (and an RFT
    record's reference answer)."""
    return "\n".join(s.text for s in view.segments if s.role not in _NOT_COMPARED)[:NEAR_TEXT_LIMIT]


def leak_keys(view: View, hashes: tuple[int, int]) -> tuple[int, int, int]:
    """What D004 compares a record by: the whole record, its input (0 for a record without an
    input or an answer) and its non-text content (0 for none). ``split`` merges records by the
    same keys, so that what it writes passes this check."""
    context, answer = hashes
    if not view.split:
        context = 0
    if view.split >= len(view.segments):
        answer = 0
    full = hash_bytes(_PAIR.pack(context, answer))
    # Same input is only meaningful where a record has an input and an answer.
    return full, context if context and answer else 0, view.others_hash()


def near_duplicate_shape(options: dict[str, Any]) -> tuple[int, int]:
    """``(num-perm, shingle)`` from the D003 options, checked."""
    shingle = option(options, "shingle", 3, int)
    num_perm = option(options, "num-perm", 128, int)
    if shingle < 1 or not 8 <= num_perm <= 1024:
        from fineprep.core.errors import ConfigError

        raise ConfigError("checks.D003: shingle must be >= 1 and num-perm 8..1024")
    return num_perm, shingle


@register
class NearDuplicateCheck(Check):
    """Near-duplicates per file (D003) and train/validation/test leakage (D004)."""

    codes: ClassVar[tuple[str, ...]] = ("D003", "D004")

    def start(self, run: RunState) -> None:
        opts = run.settings.check_options("D003")
        self.threshold = similarity_threshold(opts, "D003")
        self.leak_threshold = similarity_threshold(run.settings.check_options("D004"), "D004")
        self.shape = near_duplicate_shape(opts)
        self._hasher: MinHasher | None = None
        self.files: list[FileSignatures] = []
        # Signatures cost ~512 bytes a record: keep them only when a verdict needs them.
        self.active = run.is_enabled("D003") or (
            run.is_enabled("D004") and bool(run.planned_roles & {"validation", "test"})
        )

    @property
    def hasher(self) -> MinHasher:
        """Built on first use: numpy is imported only when there are records to compare."""
        if self._hasher is None:
            from fineprep.stages.check.minhash import MinHasher

            self._hasher = MinHasher(num_perm=self.shape[0], shingle=self.shape[1])
        return self._hasher

    def start_file(self, file: FileState) -> None:
        self.current = FileSignatures(file.path, file.role)
        self.pending: list[str] = []
        self.pending_bytes = 0

    def check(self, rec: RecordContext) -> None:
        if not self.active:
            return
        cur = self.current
        full, same_input, salt = leak_keys(rec.view, rec.hashes)
        cur.lines.append(rec.line)
        cur.full.append(full)
        cur.context.append(same_input)
        cur.salt.append(salt)
        meta = rec.meta
        if meta is None:
            cur.ident.append(0)
            cur.origin.append(0)
        else:
            cur.ident.append(id_hash(meta.id))
            cur.origin.append(id_hash(meta.augmented_from))
        text = near_text(rec.view)
        self.pending.append(text)
        self.pending_bytes += len(text)
        if len(self.pending) >= _BATCH or self.pending_bytes >= _BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            sig, empty = self.hasher.signatures(self.pending)
            self.current.sigs.append(sig)
            self.current.empty.append(empty)
        self.pending = []
        self.pending_bytes = 0

    def export_partition(self) -> Any:
        self._flush()
        return self.current if self.active else None

    def absorb_partition(self, state: Any, tickets: Sequence[int]) -> None:
        if state is None:
            return
        self._flush()
        cur = self.current
        for name in ("lines", "full", "context", "salt", "ident", "origin"):
            getattr(cur, name).extend(getattr(state, name))
        cur.sigs.extend(state.sigs)
        cur.empty.extend(state.empty)

    def finish_file(self, file: FileState) -> None:
        self._flush()
        state = self.current
        if len(state.lines) > 1 and self.run.is_enabled("D003"):
            self._near_duplicates(file, state)
        if self.run.is_enabled("D004"):
            self.files.append(state)

    def _near_duplicates(self, file: FileState, state: FileSignatures) -> None:
        import numpy as np

        from fineprep.stages.check.lsh import best_match, similar_pairs

        empty = np.concatenate(state.empty)
        full = np.frombuffer(state.full, dtype=np.uint64)
        # Later copies of an identical record are D001's; they take no part here.
        _, first, inverse = np.unique(full, return_index=True, return_inverse=True)
        repeat = first[inverse] != np.arange(len(full))
        salt = np.frombuffer(state.salt, dtype=np.uint64)
        # A list of the batches: the rows compared are copied out once (D004 keeps the batches).
        batches = list(state.sigs)
        i, j, sim = similar_pairs(batches, self.threshold, skip=empty | repeat, salt=salt)
        i, j, sim = without_own_originals(state.ident, state.origin, i, j, sim)
        lines = state.lines
        for a, b, s in zip(*(x.tolist() for x in best_match(i, j, sim)), strict=True):
            self.run.emit(
                "D003",
                f"near-duplicate of line {lines[b]} (similarity {s:.2f})",
                file,
                lines[a],
                None,
                {"first_line": lines[b], "similarity": round(s, 3)},
            )

    def finish(self, run: RunState) -> None:
        train = [f for f in self.files if f.role == "train" and len(f.lines)]
        others = [f for f in self.files if f.role != "train" and len(f.lines)]
        if not train or not others:
            return
        file_by_path = {f.path: f for f in run.files}
        leaks = _Leaks(train)
        for other in others:
            target = file_by_path.get(other.path)
            for line, data in leaks.find(other, self.leak_threshold):
                train_at = f"{data['train_path']}:{data['train_line']}"
                what = {
                    "exact": f"is identical to {train_at}",
                    "same-input": f"has the same input as {train_at} (different answer)",
                    "near": f"is nearly identical to {train_at} "
                    f"(similarity {data.get('similarity', 0):.2f})",
                }[data["kind"]]
                run.emit("D004", f"{other.role} record {what}", target, line, None, data)


class _Leaks:
    """The training side of D004: sorted hash arrays and one signature matrix for all files."""

    def __init__(self, train: list[FileSignatures]) -> None:
        import numpy as np

        self.train = train
        self.starts = list(accumulate((len(f.lines) for f in train), initial=0))
        self.full = _first_index(np.concatenate([np.frombuffer(f.full, np.uint64) for f in train]))
        self.context = _first_index(
            np.concatenate([np.frombuffer(f.context, np.uint64) for f in train])
        )
        self.sig = np.concatenate([s for f in train for s in f.sigs])
        self.empty = np.concatenate([e for f in train for e in f.empty])
        self.salt = np.concatenate([np.frombuffer(f.salt, np.uint64) for f in train])

    def _where(self, index: int) -> dict[str, Any]:
        which = bisect_right(self.starts, index) - 1
        f = self.train[which]
        return {"train_path": f.path, "train_line": f.lines[index - self.starts[which]]}

    def find(self, other: FileSignatures, threshold: float) -> list[tuple[int, dict[str, Any]]]:
        import numpy as np

        from fineprep.stages.check.lsh import best_match, similar_pairs

        out: dict[int, tuple[int, dict[str, Any]]] = {}
        exact = _lookup(self.full, np.frombuffer(other.full, np.uint64))
        same = _lookup(self.context, np.frombuffer(other.context, np.uint64))
        for k, (e, c) in enumerate(zip(exact.tolist(), same.tolist(), strict=True)):
            if e >= 0:
                out[k] = (other.lines[k], {"kind": "exact", **self._where(e)})
            elif c >= 0:
                out[k] = (other.lines[k], {"kind": "same-input", **self._where(c)})
        n_train = self.sig.shape[0]
        batches = [self.sig, *other.sigs]
        skip = np.concatenate([self.empty, *other.empty])
        salt = np.concatenate([self.salt, np.frombuffer(other.salt, np.uint64)])
        i, j, sim = similar_pairs(batches, threshold, boundary=n_train, skip=skip, salt=salt)
        for a, b, s in zip(*(x.tolist() for x in best_match(i, j, sim)), strict=True):
            k = a - n_train
            if k not in out:
                data = {"kind": "near", "similarity": round(s, 3), **self._where(b)}
                out[k] = (other.lines[k], data)
        return [out[k] for k in sorted(out)]


def _first_index(hashes: U64) -> tuple[U64, I64]:
    """Distinct non-zero hashes (sorted) and the index where each first occurs."""
    import numpy as np

    keys, first = np.unique(hashes, return_index=True)
    keep = keys != 0
    return keys[keep], first[keep].astype(np.int64)


def _lookup(index: tuple[U64, I64], hashes: U64) -> I64:
    """For each hash, the first training index with the same (non-zero) hash, else -1."""
    import numpy as np

    keys, first = index
    if not len(keys):
        return np.full(len(hashes), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
    hit = (keys[pos] == hashes) & (hashes != 0)
    return np.where(hit, first[pos], -1)


def similarity_threshold(opts: dict[str, Any], code: str) -> float:
    value = float(option(opts, "threshold", 0.9, float))
    if not 0.0 < value <= 1.0:
        from fineprep.core.errors import ConfigError

        raise ConfigError(f"checks.{code}.threshold must be in (0, 1], got {value}")
    return value
