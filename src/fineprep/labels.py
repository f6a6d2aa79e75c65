"""Where a record's label and answer come from (checks C003, class balance, splits).

A label lives in the sidecar (``label``) when the data was converted by fineprep; for
classification data written by hand (no sidecar) it is the answer text itself.
"""

from __future__ import annotations

from typing import Any

from fineprep.formats.base import View
from fineprep.model import RecordMeta

Label = str | tuple[str, ...] | None


def answer_text(view: View) -> str | None:
    """The final answer (completion, last assistant turn without reasoning), or None."""
    parts = [s.text for s in view.segments[view.split :] if s.role != "reasoning"]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "\n".join(parts)


def normalise_label(value: Any) -> Label:
    """Sidecar labels may be strings, numbers or lists (multi-label)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return str(value)


def sidecar_decides(meta: RecordMeta | None, label_from: str) -> bool:
    """Whether the label comes from the sidecar alone (then the record need not be walked)."""
    return label_from == "meta" or (label_from == "auto" and meta is not None)


def record_label(view: View, meta: RecordMeta | None, label_from: str = "auto") -> Label:
    if sidecar_decides(meta, label_from):
        # A sidecar is authoritative: a record it leaves unlabelled has no label, rather than
        # one guessed from its answer (a converted document's answer is not a class).
        return normalise_label(meta.label) if meta is not None else None
    text = answer_text(view)
    return text.strip() if text is not None else None
