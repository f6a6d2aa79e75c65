"""``manifest.json``: the record of a completed upload, and the proof that it completed.

The manifest is written last, after every object is in S3 with a verified checksum, so its
presence is the commit marker of an upload: what was sent (URI, SHA-256, bytes, version),
what it contains (records, tokens, format), how it was split and checked, and with which
tool version and configuration. It is deterministic (no timestamps): rerunning an unchanged
upload produces the same bytes, and S3 keeps the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import __version__
from fineprep.core.errors import InputError
from fineprep.core.model import Severity
from fineprep.core.profiles import ModelProfile
from fineprep.core.schemas import first_schema_error
from fineprep.io.atomic import atomic_write_bytes
from fineprep.stages.check.state import CheckResult

MANIFEST_NAME = "manifest.json"
JOB_REQUEST_NAME = "job-request.json"
SPLIT_NAME = "split.json"


def read_split(path: Path) -> dict[str, Any] | None:
    """split.json as written by ``fineprep split``; None if there is none."""
    if not path.is_file():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: not readable JSON ({exc})", hint="rerun `fineprep split`"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object", hint="rerun `fineprep split`")
    return data


def split_model(split: dict[str, Any] | None) -> str | None:
    """The model a split was made for (top level or under ``parameters``)."""
    if not split:
        return None
    for table in (split, split.get("parameters")):
        if isinstance(table, dict) and isinstance(table.get("model"), str):
            return str(table["model"])
    return None


@dataclass
class FileEntry:
    """One uploaded object as the manifest lists it."""

    role: str
    name: str
    uri: str
    sha256: str
    checksum: str
    part_size: int
    size: int
    version_id: str | None
    records: int | None = None
    format: str | None = None
    tokens: dict[str, Any] | None = None
    of: str | None = None
    #: Records made by ``fineprep augment``: ``{"records": n, "strategies": {name: n}}``.
    augmented: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "name": self.name}
        if self.of:
            out["of"] = self.of
        out.update(
            uri=self.uri,
            sha256=self.sha256,
            checksum_sha256=self.checksum,
            part_size=self.part_size,
            bytes=self.size,
            version_id=self.version_id,
        )
        if self.role in ("train", "validation", "test"):
            out.update(records=self.records, format=self.format, tokens=self.tokens)
            out["augmented"] = self.augmented or {"records": 0, "strategies": {}}
        return out


def augmented_entry(strategies: dict[str, int]) -> dict[str, Any]:
    """A data file's augmented records, from the check's count per strategy."""
    return {"records": sum(strategies.values()), "strategies": dict(sorted(strategies.items()))}


def augmented_total(files: list[FileEntry]) -> dict[str, Any]:
    """Augmented records over every data file, per strategy."""
    out: dict[str, int] = {}
    for f in files:
        for name, n in ((f.augmented or {}).get("strategies") or {}).items():
            out[name] = out.get(name, 0) + int(n)
    return augmented_entry(out)


def token_entry(result: CheckResult, path: str) -> dict[str, Any] | None:
    stats = result.stats.get("tokens", {}).get(path)
    if not stats:
        return None
    return {
        "total": int(stats["total"]),
        "exact": bool(stats["exact"]),
        "interval": [int(v) for v in stats.get("interval", [stats["total"]] * 2)],
        "encoding": stats.get("encoding"),
    }


def check_summary(result: CheckResult, forced: bool) -> dict[str, Any]:
    return {
        "valid": result.valid,
        "errors": result.count(Severity.ERROR),
        "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO),
        "by_code": result.by_code(),
        "forced": forced,
    }


def build_manifest(
    *,
    profile: ModelProfile,
    fmt: str,
    destination: str,
    bucket_region: str,
    owner: str | None,
    encryption: dict[str, Any],
    files: list[FileEntry],
    split: dict[str, Any] | None,
    check: dict[str, Any],
    config_hash: str,
    job_request: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "version": 1,
        "tool": {"name": "fineprep", "version": __version__},
        "model": {
            "key": profile.key,
            "id": profile.base_model_id,
            "name": profile.name,
            "regions": list(profile.regions),
        },
        "format": fmt,
        "destination": destination,
        "bucket_region": bucket_region,
        "expected_bucket_owner": owner,
        "encryption": encryption,
        "files": [f.to_dict() for f in files],
        "augmented": augmented_total(files),
        "split": split,
        "check": check,
        "job_request": job_request,
        "config_hash": config_hash,
    }


def encode(doc: dict[str, Any], schema: str) -> bytes:
    """Validated, indented JSON bytes (a schema violation is a bug, so it raises)."""
    error = first_schema_error(schema, doc)
    if error is not None:
        raise ValueError(f"{schema} document does not match its schema: {error}")
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def write_local(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data)
