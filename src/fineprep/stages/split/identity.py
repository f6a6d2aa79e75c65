"""What D004 compares each record by, collected during the split's scan.

Per record: the keys of :func:`~fineprep.stages.check.rules.near_duplicates.leak_keys` and a
MinHash signature of its near-duplicate text, computed exactly as the check computes them (the
same walk, the same format detection, the same MinHasher), so that the split's grouping and the
check's leak verdicts agree.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fineprep.formats import FORMATS, compatible, detect
from fineprep.stages.check.rules.near_duplicates import (
    FileSignatures,
    leak_keys,
    near_duplicate_shape,
    near_text,
)

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile
    from fineprep.formats.base import View

#: Texts per signature batch (as the check does).
_BATCH = 4096


def _ignore(code: str, path: Any, message: str, data: dict[str, Any]) -> None:
    """Structural findings are the check's business (it runs on the outputs)."""


@dataclass
class Identities:
    """Per record: D004's keys, whether it takes part, and its near-duplicate signature."""

    options: dict[str, Any]
    forced: str | None
    profile: ModelProfile | None
    format: str | None = None
    #: The check's own per-file state, one entry per record (``lines`` holds record numbers).
    state: FileSignatures = field(default_factory=lambda: FileSignatures("", "train"))
    compared: array[int] = field(default_factory=lambda: array("B"))
    pending: list[str] = field(default_factory=list)

    def add(self, obj: dict[str, Any]) -> View | None:
        """Walk one record as the check would; returns its view (None: the check skips it)."""
        view = self._view(obj)
        ok = view if view is not None and view.structural_ok else None
        keys = leak_keys(ok, ok.identity_hashes()) if ok is not None else (0, 0, 0)
        state = self.state
        state.lines.append(len(state.lines) + 1)
        state.full.append(keys[0])
        state.context.append(keys[1])
        state.salt.append(keys[2])
        self.compared.append(ok is not None)
        self.pending.append(near_text(ok) if ok is not None else "")
        if len(self.pending) >= _BATCH:
            self._flush()
        return view

    def _view(self, obj: dict[str, Any]) -> View | None:
        fmt = self.forced
        if fmt is None:
            own = detect(obj)
            if self.format is None:
                self.format = own  # the file's format is its first detected record's
                if own is None:
                    return None
            elif not compatible(own, self.format):
                return None  # the check reports S002 and skips the record
            fmt = self.format
        if fmt is None:
            return None
        return FORMATS.get(fmt).analyze(obj, self.profile, _ignore)

    def _flush(self) -> None:
        if self.pending:
            from fineprep.stages.check.minhash import MinHasher

            num_perm, shingle = near_duplicate_shape(self.options)
            sig, empty = MinHasher(num_perm=num_perm, shingle=shingle).signatures(self.pending)
            self.state.sigs.append(sig)
            self.state.empty.append(empty)
        self.pending = []

    def finish(self) -> None:
        self._flush()

    def compact(self) -> None:
        """A partition's signatures as one matrix instead of many small batches, before they
        are sent to the coordinator: there a large block goes back to the system once it is
        merged and freed, where many small ones would stay in the allocator's heap."""
        if len(self.state.sigs) > 1:
            import numpy as np

            sigs = self.state.sigs
            self.state.sigs = [np.concatenate(sigs)]
            sigs.clear()
