"""The dataset as augment sees it: what each record is labelled, whether it can be reworded,
and, for the originals that will get variants, the record itself.

The first pass (:func:`inventory`) keeps a few values per record: its label, whether it is an
original or a variant already, whether it has prompt text to reword, and the identity hash
D001 compares it by (a variant identical to any record is never emitted). The second pass
(:func:`load`) parses only the originals of the classes that need records.

Only user and prompt text is reworded (``user`` turns, ``prompt``, an image-caption's
``caption``; ``system`` with ``--system``): never an answer, a reasoning block, a reference
answer or pre-training text, and never a prompt that is itself a JSON document (a structured
input is data, not wording).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.errors import InputError
from fineprep.core.model import RecordMeta
from fineprep.core.profiles import ModelProfile
from fineprep.formats import FORMATS, compatible, detect
from fineprep.formats.base import Label, Segment, View, record_label
from fineprep.io.jsonl import BOM, existing_sidecar, sidecar_object, strip_line, with_sidecar
from fineprep.stages.check.rules.balance import long_label, looks_labelled
from fineprep.stages.check.rules.near_duplicates import leak_keys

#: Roles whose text may be reworded (system only when asked).
PROMPT_ROLES = frozenset({"user", "prompt", "caption"})


def rewritable(view: View, system: bool) -> list[Segment]:
    """The segments a strategy may reword: prompt text, not answers (see the module doc)."""
    roles = PROMPT_ROLES | {"system"} if system else PROMPT_ROLES
    return [
        s
        for s in view.segments
        if s.role in roles and not s.output and s.text.strip() and not _json_document(s.text)
    ]


def _json_document(text: str) -> bool:
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return False
    try:
        jsonexact.loads(stripped)
    except orjson.JSONDecodeError:
        return False
    return True


def with_texts(obj: dict[str, Any], texts: dict[tuple[str | int, ...], str]) -> dict[str, Any]:
    """A copy of ``obj`` with the strings at the given JSON paths replaced (the original is
    never modified)."""
    copy: dict[str, Any] = jsonexact.loads(jsonexact.dumps(obj))
    for path, text in texts.items():
        node: Any = copy
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = text
    return copy


def _ignore(code: str, path: Any, message: str, data: dict[str, Any]) -> None:
    """Structural findings are the check's business (it runs on the output)."""


def walk(obj: dict[str, Any], fmt: str, profile: ModelProfile | None) -> View:
    return FORMATS.get(fmt).analyze(obj, profile, _ignore)


def identity(view: View) -> int:
    """The hash D001 compares a record by (text with roles, media, tool blocks)."""
    return leak_keys(view, view.identity_hashes())[0]


@dataclass
class Inventory:
    """Per-record facts of the first pass, and the dataset's."""

    path: str
    sidecar: Path | None
    format: str | None = None
    records: int = 0
    sha256: str = ""
    labels: list[Label] = field(default_factory=list)
    #: Per record: 1 an original that can be reworded, 0 an original that cannot, 2 a variant.
    kind: bytearray = field(default_factory=bytearray)
    known: set[int] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    #: Variants the dataset already holds, by the id of their original (for --max-per-record).
    variants_of: dict[str, int] = field(default_factory=dict)
    labelled: bool = False
    #: Without a sidecar: labels are the answers, and the output's sidecar must say them.
    answer_labels: bool = False
    not_rewritable: dict[str, int] = field(default_factory=dict)

    ORIGINAL, FIXED, VARIANT = 1, 0, 2


@dataclass
class Original:
    """An original that may get variants: the record, its view, sidecar values and label."""

    index: int
    obj: dict[str, Any]
    view: View
    meta: dict[str, Any]
    id: str
    assigned_id: bool
    label: Label
    segments: list[Segment]


@dataclass(frozen=True)
class Line:
    """One line of the dataset: its physical bytes, the record's, and its sidecar line."""

    index: int
    physical: bytes
    raw: bytes
    meta: dict[str, Any] | None
    meta_raw: bytes


def _records(path: str, sidecar: Path | None) -> Iterator[Line]:
    """Every line of the dataset with its sidecar line (checked to be one per record)."""
    for line_no, physical, meta_raw in with_sidecar(path, sidecar):
        raw = strip_line(physical)
        if line_no == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        meta = None if meta_raw is None else sidecar_object(meta_raw, sidecar, line_no)
        yield Line(line_no - 1, physical, raw, meta, meta_raw or b"")


def _record(raw: bytes, path: str, line: int) -> dict[str, Any]:
    what = "fix it (`fineprep check` shows every such line) and augment again"
    try:
        obj = jsonexact.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path}:{line}: invalid JSON ({exc})", hint=what) from None
    if not isinstance(obj, dict):
        raise InputError(f"{path}:{line}: line is not a JSON object", hint=what)
    return obj


class _Reader:
    """Format, walk and label of each record, the same way the check decides them."""

    def __init__(
        self, forced: str | None, profile: ModelProfile | None, label_from: str, system: bool
    ) -> None:
        self.format = forced
        self.forced = forced is not None
        self.profile = profile
        self.label_from = label_from
        self.system = system

    def view(self, obj: dict[str, Any]) -> View | None:
        own = detect(obj)
        if self.format is None:
            self.format = own
        if self.format is None or (not self.forced and not compatible(own, self.format)):
            return None
        return walk(obj, self.format, self.profile)

    def label(self, view: View | None, meta: dict[str, Any] | None) -> Label:
        record_meta = RecordMeta.from_dict(meta) if meta is not None else None
        return record_label(view or View(""), record_meta, self.label_from)


def inventory(
    path: str,
    *,
    forced: str | None,
    profile: ModelProfile | None,
    label_from: str,
    declared_labels: bool,
    system: bool,
) -> Inventory:
    """The first pass: labels, kinds, identities and ids of every record."""
    sidecar = existing_sidecar(path)
    inv = Inventory(path, sidecar)
    reader = _Reader(forced, profile, label_from, system)
    digest = hashlib.sha256()
    explicit = declared_labels
    free_text = False
    labelled_records = 0
    for line in _records(path, sidecar):
        index, meta = line.index, line.meta
        digest.update(line.physical)
        obj = _record(line.raw, path, index + 1)
        view = reader.view(obj)
        label = reader.label(view, meta)
        inv.labels.append(label)
        if label is not None:
            labelled_records += 1
            explicit = explicit or (meta is not None and meta.get("label") is not None)
            if meta is None and long_label(label if isinstance(label, tuple) else (label,)):
                free_text = True
        if meta is not None and meta.get("id") is not None:
            inv.ids.add(str(meta["id"]))
        if view is not None and view.structural_ok:
            inv.known.add(identity(view))
        if meta is not None and meta.get("augmented_from") is not None:
            inv.kind.append(Inventory.VARIANT)
            made_from = str(meta["augmented_from"])
            inv.variants_of[made_from] = inv.variants_of.get(made_from, 0) + 1
        elif view is None or not view.structural_ok:
            inv.kind.append(Inventory.FIXED)
            _count(inv, "records the check cannot read (fix them first)")
        elif not rewritable(view, system):
            inv.kind.append(Inventory.FIXED)
            _count(inv, f"{view.format} records without prompt text to reword")
        else:
            inv.kind.append(Inventory.ORIGINAL)
        inv.records += 1
    inv.sha256 = digest.hexdigest()
    inv.format = reader.format
    classes = {one for label in inv.labels if label is not None for one in _elements(label)}
    inv.labelled = looks_labelled(
        len(classes), labelled_records, explicit=explicit, free_text=free_text
    )
    inv.answer_labels = sidecar is None and inv.labelled and label_from != "meta"
    if not inv.labelled:
        inv.labels = [None] * inv.records
    return inv


def _elements(label: Label) -> tuple[str, ...]:
    if label is None:
        return ()
    return label if isinstance(label, tuple) else (label,)


def _count(inv: Inventory, reason: str) -> None:
    inv.not_rewritable[reason] = inv.not_rewritable.get(reason, 0) + 1


def load(
    inv: Inventory, wanted: set[int], profile: ModelProfile | None, system: bool
) -> dict[int, Original]:
    """The second pass: the originals at the ``wanted`` record indices, parsed and walked."""
    out: dict[int, Original] = {}
    if not wanted:
        return out
    assert inv.format is not None
    taken = set(inv.ids)
    for line in _records(inv.path, inv.sidecar):
        index, meta = line.index, line.meta
        if index not in wanted:
            continue
        obj = _record(line.raw, inv.path, index + 1)
        view = walk(obj, inv.format, profile)
        values = dict(meta) if meta is not None else {}
        rid = values.get("id")
        assigned = rid is None
        if assigned:
            rid = _new_id(obj, index, taken)
        taken.add(str(rid))
        label = inv.labels[index]
        if inv.answer_labels and label is not None:
            values["label"] = list(label) if isinstance(label, tuple) else label
        out[index] = Original(
            index, obj, view, values, str(rid), assigned, label, rewritable(view, system)
        )
    return out


def _new_id(obj: dict[str, Any], index: int, taken: set[str]) -> str:
    """An id for an original that has none (its variants must name it): a hash of the
    record, so it stays the same however the file is reordered."""
    digest = hashlib.blake2b(jsonexact.dumps(obj, option=orjson.OPT_SORT_KEYS), digest_size=8)
    rid = f"rec-{digest.hexdigest()}"
    return rid if rid not in taken else f"{rid}-{index + 1}"


def records(path: str, sidecar: Path | None) -> Iterator[Line]:
    """Every line again (for the writer)."""
    return _records(path, sidecar)
