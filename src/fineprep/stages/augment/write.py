"""The output: every original line byte for byte, then the variants; and the sidecar, line for
line, with each variant's provenance.

Originals are never rewritten. Their sidecar lines are copied as they are too, except that an
original with variants but no id gets one (its variants must name it), and, when the input had
no sidecar and its labels were its answers, each line says the label (a sidecar is
authoritative for labels, so one that left them out would unlabel the data). Both files go
through :class:`fineprep.io.atomic.AtomicWriter` and appear together, the sidecar first; the
input must be unchanged since it was first read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.errors import InputError
from fineprep.io.atomic import AtomicWriter
from fineprep.io.jsonl import sidecar_path
from fineprep.io.outputs import OutputLock, set_manifest_path, write_set_manifest
from fineprep.stages.augment.produce import Variant
from fineprep.stages.augment.records import Inventory, Line, Original, records

_LINE = orjson.OPT_APPEND_NEWLINE


def _default(value: Any) -> Any:
    return str(value)


def _terminated(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\n"


def write_output(
    inv: Inventory, originals: dict[int, Original], variants: Iterable[Variant], output: Path
) -> Path:
    """Write ``output`` and its sidecar; returns the sidecar's path."""
    sidecar = sidecar_path(output)
    variants = list(variants)
    named = {v.original for v in variants}  # originals whose variants name them
    digest = hashlib.sha256()
    with OutputLock(output):
        # Exited in reverse: the data file appears only after the sidecar did, and the set
        # manifest last; one run writes this output at a time.
        with ExitStack() as stack:
            data_fh = stack.enter_context(AtomicWriter(output))
            meta_fh = stack.enter_context(AtomicWriter(sidecar))
            for line in records(inv.path, inv.sidecar):
                digest.update(line.physical)
                data_fh.write(_terminated(line.physical))
                original = originals.get(line.index) if line.index in named else None
                meta_fh.write(_meta_line(inv, original, line))
            if digest.hexdigest() != inv.sha256:
                raise InputError(f"{inv.path}: changed while being augmented", hint="run it again")
            for v in variants:
                data_fh.write(jsonexact.dumps(v.record, option=_LINE))
                meta_fh.write(jsonexact.dumps(v.meta, default=_default, option=_LINE))
        write_set_manifest(set_manifest_path(output), [output, sidecar])
    return sidecar


def _meta_line(inv: Inventory, original: Original | None, line: Line) -> bytes:
    if original is not None and original.assigned_id:
        named = {"id": original.id, **{k: v for k, v in original.meta.items() if k != "id"}}
        return jsonexact.dumps(named, default=_default, option=_LINE)
    if line.meta is not None:
        return _terminated(line.meta_raw)
    values: dict[str, Any] = {}
    label = inv.labels[line.index] if inv.answer_labels else None
    if label is not None:
        values["label"] = list(label) if isinstance(label, tuple) else label
    return jsonexact.dumps(values, option=_LINE)
