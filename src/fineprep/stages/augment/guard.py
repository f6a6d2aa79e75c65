"""What a candidate variant must pass before it is kept, whatever strategy proposed it.

- its structure is sound for the file's format (the same walk as the check's);
- its answer, reasoning, reference answer and every other text it must not touch are exactly
  the original's (a variant that changed an answer would teach a different answer);
- it is not identical (as D001 compares records) to any record of the dataset or any variant
  already kept;
- the text it rewrote holds no secret, personal data or placeholder the original's did not
  (the hygiene patterns of H001-H003);
- it is not a near-duplicate (D003's similarity and threshold) of another variant of the same
  original: two rewordings that differ by a word are one variant twice. Its own original is
  not compared: a variant is meant to be near it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fineprep.stages.augment.records import identity, rewritable, walk
from fineprep.stages.check.rules.near_duplicates import (
    near_duplicate_shape,
    near_text,
    similarity_threshold,
)
from fineprep.stages.check.rules.patterns import PII, PLACEHOLDER, SECRET, luhn_ok

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from fineprep.core.profiles import ModelProfile
    from fineprep.stages.augment.records import Original
    from fineprep.stages.augment.strategy import Candidate
    from fineprep.stages.check.minhash import MinHasher


def marks(text: str) -> set[tuple[str, str]]:
    """The secrets, personal data and placeholders in a text, as (kind, value)."""
    out = {("secret", m.group()) for m in SECRET.finditer(text)}
    for m in PII.finditer(text):
        kind = m.lastgroup or "pii"
        if kind.startswith("card") and not luhn_ok(m.group()):
            continue
        out.add(("pii", m.group()))
    out.update(("placeholder", m.group()) for m in PLACEHOLDER.finditer(text))
    return out


def new_marks(old: str, new: str) -> set[str]:
    """Kinds of sensitive text in ``new`` that ``old`` does not have."""
    return {kind for kind, value in marks(new) - marks(old)}


@dataclass
class Guard:
    """Keeps the identities of every record and variant, and each original's variants."""

    format: str
    profile: ModelProfile | None
    known: set[int]
    options: dict[str, Any]
    system: bool = False
    rejected: dict[str, int] = field(default_factory=dict)
    _siblings: dict[int, list[npt.NDArray[np.uint32]]] = field(default_factory=dict)
    _hasher: MinHasher | None = None

    def __post_init__(self) -> None:
        self.threshold = similarity_threshold(self.options, "D003")

    def accept(self, original: Original, candidate: Candidate) -> bool:
        reason = self._reason(original, candidate)
        if reason is not None:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return reason is None

    def _reason(self, original: Original, candidate: Candidate) -> str | None:
        view = walk(candidate.record, self.format, self.profile)
        if not view.structural_ok:
            return "not a valid record"
        if _fixed(view, self.system) != _fixed(original.view, self.system):
            return "changed an answer"
        key = identity(view)
        if key in self.known:
            return "identical to an existing record"
        for path, text in candidate.changes.items():
            old = _text_at(original.obj, path)
            if new_marks(old, text):
                return "new secret, personal data or placeholder"
        sig = self._signature(near_text(view))
        siblings = self._siblings.setdefault(original.index, [])
        if any(float((sig == other).mean()) >= self.threshold - 1e-9 for other in siblings):
            return "near-duplicate of another variant"
        siblings.append(sig)
        self.known.add(key)
        return None

    def _signature(self, text: str) -> npt.NDArray[np.uint32]:
        if self._hasher is None:
            from fineprep.stages.check.minhash import MinHasher

            num_perm, shingle = near_duplicate_shape(self.options)
            self._hasher = MinHasher(num_perm=num_perm, shingle=shingle)
        sig, _ = self._hasher.signatures([text])
        first: npt.NDArray[np.uint32] = sig[0]
        return first


def _fixed(view: Any, system: bool) -> tuple[Any, ...]:
    """What a variant must leave as it was: where every text is and whose it is, the text of
    every segment but the rewritable ones, and the media and tool blocks."""
    free = {id(s) for s in rewritable(view, system)}
    return (
        [(s.path, s.role, s.output) for s in view.segments],
        [s.text for s in view.segments if id(s) not in free],
        view.others,
        view.split,
    )


def _text_at(obj: Any, path: tuple[str | int, ...]) -> str:
    node = obj
    for part in path:
        node = node[part]
    return str(node)
