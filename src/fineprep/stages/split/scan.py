"""The first pass of ``fineprep split``: what each record is keyed, grouped and labelled by.

The scan keeps a few values per record (unit index and label), never the records themselves;
the second pass copies lines from the input. A line that is not a JSON object stops the split
with its line number, because a split of a file Bedrock cannot parse would only move the
problem into train.jsonl; structural problems of valid JSON objects are the check's business
and are reported on the outputs.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.errors import ConfigError, InputError
from fineprep.core.model import RecordMeta
from fineprep.core.profiles import ModelProfile
from fineprep.formats.base import Label, View, normalise_label, record_label, sidecar_decides
from fineprep.io.jsonl import BOM, existing_sidecar, sidecar_object, sidecar_path, with_sidecar
from fineprep.stages.split.identity import Identities

_META_ATTRS = ("id", "label", "group", "source")


@dataclass
class Scan:
    """Per-record unit indices and labels, per-unit keys and sizes, and input facts."""

    path: str
    sidecar: Path | None
    sha256: str = ""
    records: int = 0
    bom: bool = False
    unit_of: array[int] = field(default_factory=lambda: array("I"))
    labels: list[Label] = field(default_factory=list)
    unit_keys: list[bytes] = field(default_factory=list)
    unit_sizes: list[int] = field(default_factory=list)
    grouped_records: int = 0
    format: str | None = None
    identities: Identities | None = None
    #: Augmented records (``fineprep augment``): record index, original's id, strategy.
    augmented: list[tuple[int, str, str]] = field(default_factory=list)
    #: Of those, records whose original is not in the dataset (set when units are merged).
    orphans: int = 0
    #: What reports call the input when ``path`` is a copy of it (an S3 object's URI).
    name: str | None = None


def meta_value(meta: RecordMeta | None, name: str) -> Any:
    """A sidecar field by name: ``id``, ``label``, ``group``, ``source`` or any extra key."""
    if meta is None:
        return None
    if name in _META_ATTRS:
        return getattr(meta, name)
    return meta.extra.get(name)


def parse_record(raw: bytes, path: str, line: int) -> dict[str, Any]:
    """``raw`` may keep its line terminator (JSON whitespace)."""
    what = "fix it (`fineprep check` shows every such line) and split again"
    try:
        obj = jsonexact.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not raw.strip():
            hint = f"{what}, or use `check --fix`"
            raise InputError(f"{path}:{line}: blank line", hint=hint) from None
        raise InputError(f"{path}:{line}: invalid JSON ({exc})", hint=what) from None
    if not isinstance(obj, dict):
        raise InputError(f"{path}:{line}: line is not a JSON object", hint=what)
    return obj


def record_key(obj: dict[str, Any], meta: RecordMeta | None) -> bytes:
    """The sidecar id, else a hash of the canonical JSON (sorted keys, no whitespace)."""
    if meta is not None and meta.id is not None:
        return b"id\x00" + meta.id.encode("utf-8", "surrogatepass")
    canonical = jsonexact.dumps(obj, option=orjson.OPT_SORT_KEYS)
    return b"sha\x00" + hashlib.blake2b(canonical, digest_size=16).digest()


class Labeller:
    """The stratification value of a record: its label, or a sidecar field."""

    def __init__(
        self, stratify: str | None, fmt: str | None, label_from: str, profile: ModelProfile | None
    ) -> None:
        self.stratify = stratify
        self.format = fmt
        self.forced = fmt is not None
        self.label_from = label_from
        self.profile = profile

    def __call__(self, obj: dict[str, Any], meta: RecordMeta | None, walked: View | None) -> Label:
        if self.stratify is None:
            return None
        if self.stratify != "label":
            return normalise_label(meta_value(meta, self.stratify))
        from fineprep.formats import FORMATS, detect

        if sidecar_decides(meta, self.label_from):
            # The sidecar is authoritative: no walk of the record (detect names the format).
            if self.format is None:
                self.format = detect(obj)
            return record_label(_NO_VIEW, meta, self.label_from)
        fmt = self.format if self.forced else detect(obj)
        if fmt is None:
            return None
        self.format = self.format or fmt
        view = walked if walked is not None and walked.format == fmt else None
        if view is None:
            view = FORMATS.get(fmt).analyze(obj, self.profile, _ignore)
        return record_label(view, meta, self.label_from)


_NO_VIEW = View("")


def _ignore(code: str, path: Any, message: str, data: dict[str, Any]) -> None:
    """Structural findings are the check's business (it runs on the outputs)."""


def scan(
    path: str,
    *,
    stratify: str | None,
    group: str | None,
    fmt: str | None,
    label_from: str,
    profile: ModelProfile | None,
    identities: Identities | None = None,
) -> Scan:
    """Read the dataset (and its sidecar) once; keep only keys, groups and labels, and (with
    ``identities``) what D004 compares each record by."""
    sidecar = existing_sidecar(path)
    needs_meta = group is not None or (stratify is not None and stratify != "label")
    if needs_meta and sidecar is None:
        field_name = group if group is not None else stratify
        raise ConfigError(
            f"{path}: no sidecar {sidecar_path(path).name} to read {field_name!r} from",
            hint="convert with `fineprep convert` (it writes the sidecar) or drop the option",
        )
    result = Scan(path, sidecar, identities=identities)
    reader = ScanReader(result, Labeller(stratify, fmt, label_from, profile), group)
    digest = hashlib.sha256()
    for line_no, physical, meta_raw in with_sidecar(path, sidecar):
        digest.update(physical)
        reader.add(line_no, physical, meta_raw)
    result.sha256 = digest.hexdigest()
    result.format = reader.labeller.format
    return result


class ScanReader:
    """The per-record work of the scan, for the whole file or for one partition of it."""

    def __init__(self, result: Scan, labeller: Labeller, group: str | None) -> None:
        self.result = result
        self.labeller = labeller
        self.group = group
        self.index: dict[bytes, int] = {}

    def add(self, line_no: int, physical: bytes, meta_raw: bytes | None) -> None:
        result, group, index = self.result, self.group, self.index
        raw = physical
        if line_no == 1 and raw.startswith(BOM):
            raw, result.bom = raw[len(BOM) :], True
        meta = None
        if meta_raw is not None:
            meta = RecordMeta.from_dict(sidecar_object(meta_raw, result.sidecar, line_no))
        obj = parse_record(raw, result.path, line_no)
        origin = meta.augmented_from if meta is not None else None
        if origin is not None and meta is not None:
            result.augmented.append((result.records, origin, meta.augment_strategy))
        unit_key = record_key(obj, meta)
        group_value = meta_value(meta, group or "group")
        if group_value is not None:
            unit_key = b"group\x00" + str(group_value).encode("utf-8", "surrogatepass")
            result.grouped_records += 1
        unit = index.get(unit_key)
        if unit is None:
            unit = index[unit_key] = len(result.unit_keys)
            result.unit_keys.append(unit_key)
            result.unit_sizes.append(0)
        result.unit_sizes[unit] += 1
        result.unit_of.append(unit)
        identities = result.identities
        view = identities.add(obj) if identities is not None else None
        result.labels.append(self.labeller(obj, meta, view))
        result.records += 1
