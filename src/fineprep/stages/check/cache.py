"""Result cache for ``fineprep check``: an unchanged dataset under unchanged settings is not
re-checked.

The pre-commit hook runs on every commit; re-validating gigabytes that did not change would
make it too slow to keep. The key is everything the verdict depends on: the tool version, the
effective settings (config file plus command-line options), and for every input file its role,
its name and the SHA-256 of its bytes and of its sidecar. Hashing runs at disk speed, far
faster than checking. Entries are small JSON files in ``.fineprep_cache/`` (or
``$FINEPREP_CACHE_DIR``), written atomically; a corrupt or foreign entry is a miss, never an
error. Standard input is never cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import __version__
from fineprep.core.config import Settings
from fineprep.core.model import Finding
from fineprep.io.jsonl import atomic_write_bytes, sidecar_path
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult, FileState

_FORMAT = 1


def cache_dir() -> Path:
    return Path(os.environ.get("FINEPREP_CACHE_DIR") or ".fineprep_cache")


def _file_digest(path: str) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    side = sidecar_path(path)
    if side.is_file() and side != Path(path):
        h.update(b"\0sidecar\0")
        h.update(side.read_bytes())
    return h.hexdigest()


def cache_key(settings: Settings, roles: dict[str, list[str]]) -> str | None:
    """The key of a run, or None when it cannot be cached (stdin, unreadable inputs)."""
    material: dict[str, Any] = {
        "format": _FORMAT,
        "version": __version__,
        "rules": sorted(RULES),
        "settings": dataclasses.asdict(settings),
        "files": [],
    }
    for role, paths in roles.items():
        for path in paths:
            if path == "-" or not Path(path).is_file():
                return None
            try:
                material["files"].append((role, path, _file_digest(path)))
            except OSError:
                return None
    blob = orjson.dumps(material, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


def load(key: str, settings: Settings) -> CheckResult | None:
    """The cached result, or None on a miss (including unreadable entries)."""
    path = cache_dir() / key[:2] / f"{key}.json"
    try:
        doc = orjson.loads(path.read_bytes())
        findings = [Finding.from_dict(f) for f in doc["findings"]]
        files = [FileState(**f) for f in doc["files"]]
        return CheckResult(findings, files, settings.model_profile(), settings, doc["stats"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, result: CheckResult) -> None:
    """Save a result; failures to write (read-only checkout) are ignored: the cache is a hint."""
    root = cache_dir()
    doc = {
        "findings": [f.to_dict() for f in result.findings],
        "files": [dataclasses.asdict(f) for f in result.files],
        "stats": result.stats,
    }
    try:
        (root / key[:2]).mkdir(parents=True, exist_ok=True)
        ignore = root / ".gitignore"
        if not ignore.exists():
            atomic_write_bytes(ignore, b"# Created by fineprep.\n*\n")
        atomic_write_bytes(root / key[:2] / f"{key}.json", orjson.dumps(doc, default=str))
    except OSError:
        return
