"""Result cache for ``fineprep check``: an unchanged dataset under unchanged settings is not
re-checked.

The pre-commit hook runs on every commit; re-validating gigabytes that did not change would
make it too slow to keep. A cached verdict is only as good as its key, and a cache directory is
something anyone with write access to the checkout can edit, so:

- the key is everything the verdict depends on: the tool version and a digest of its own code
  and data files (an editable install changes without a new version), the effective settings,
  the bytes of every file the settings name (config, completion schema, tokenizer file,
  allow-lists: any setting whose value is an existing file), and for every input its role, its
  name and the SHA-256 of its bytes, of its sidecar and of the manifest of its set;
- an entry is sealed with an HMAC-SHA256 under a per-user key (``key`` beside the entries,
  mode 0600, owned by the user): an entry that was edited, forged or copied under another key
  fails the check and is recomputed, never trusted;
- an input that changes while it is checked (size, mtime, ctime or inode differ before and
  after) is never stored: its verdict would belong to neither version.

Entries are small files in ``.fineprep_cache/`` (or ``$FINEPREP_CACHE_DIR``), written
atomically; a corrupt or foreign entry is a miss, never an error. Standard input is never
cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from fineprep.core import __version__
from fineprep.core.config import Settings
from fineprep.core.errors import InputError
from fineprep.core.model import Finding
from fineprep.io.atomic import atomic_write_bytes
from fineprep.io.jsonl import sidecar_path
from fineprep.io.outputs import SPLIT_SUMMARY, file_sha256, set_manifest_path
from fineprep.stages.check.rules import RULES
from fineprep.stages.check.state import CheckResult, FileState

_FORMAT = 2
_KEY_FILE = "key"
_PACKAGE = Path(__file__).resolve().parents[2]

#: What a file looked like: (device, inode, size, mtime_ns, ctime_ns); None if unreadable.
Stat = tuple[int, int, int, int, int] | None


def cache_dir() -> Path:
    return Path(os.environ.get("FINEPREP_CACHE_DIR") or ".fineprep_cache")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the package's own modules and data files, so an edited install is a miss."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in (".py", ".toml", ".json", ".txt") and path.is_file():
            h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def _stat(path: str | Path) -> Stat:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def referenced_files(settings: Settings) -> list[Path]:
    """Every file a setting names (relative paths against the config's folder and the working
    directory), plus the config file itself: the verdict depends on their bytes."""
    found: dict[Path, None] = {}
    if settings.config_path is not None:
        found[Path(settings.config_path)] = None
    bases = [Path.cwd()]
    if settings.config_path is not None:
        bases.insert(0, Path(settings.config_path).parent)
    fields = dataclasses.asdict(settings)
    fields.pop("config_path", None)
    for text in _strings(fields):
        if not text or len(text) > 4096 or "\0" in text or "\n" in text:
            continue
        candidate = Path(text)
        for base in [Path("/")] if candidate.is_absolute() else bases:
            full = base / candidate
            try:
                if full.is_file():
                    found[full] = None
                    break
            except OSError:
                continue
    return list(found)


def files_read(settings: Settings, inputs: list[str]) -> list[Path]:
    """Every file a check of ``inputs`` reads: the inputs, their sidecars and the files the
    settings name. An output (``check -o``) must be none of them."""
    read = [Path(p) for p in inputs if p != "-"]
    read += [sidecar_path(p) for p in inputs if p != "-"]
    return read + referenced_files(settings)


@dataclasses.dataclass
class Key:
    """A run's cache key and what its files looked like when they were hashed."""

    digest: str
    stats: dict[str, Stat]

    def unchanged(self) -> bool:
        """Whether every hashed file still looks as it did (a file edited during the run is
        never cached)."""
        return all(_stat(path) == before for path, before in self.stats.items())


def cache_key(settings: Settings, roles: dict[str, list[str]]) -> Key | None:
    """The key of a run, or None when it cannot be cached (stdin, unreadable inputs)."""
    stats: dict[str, Stat] = {}

    def digest(path: Path | str) -> str:
        stats[str(path)] = _stat(path)
        return file_sha256(path)

    try:
        material: dict[str, Any] = {
            "format": _FORMAT,
            "version": __version__,
            "code": code_digest(),
            "rules": sorted(RULES),
            # Where partitions run ([engine], --jobs) never changes the result.
            "settings": dataclasses.asdict(
                dataclasses.replace(
                    settings, sections={k: v for k, v in settings.sections.items() if k != "engine"}
                )
            ),
            "referenced": [(str(p), digest(p)) for p in referenced_files(settings)],
            "files": [],
        }
        for role, paths in roles.items():
            for path in paths:
                if path == "-" or not Path(path).is_file():
                    return None
                # The sidecar, and the manifests S009 verifies the pair against.
                extra = [sidecar_path(path), set_manifest_path(path)]
                extra.append(Path(path).with_name(SPLIT_SUMMARY))
                beside = [digest(p) if p.is_file() and p != Path(path) else None for p in extra]
                material["files"].append((role, path, digest(path), beside))
    except OSError:
        return None
    blob = orjson.dumps(material, default=str, option=orjson.OPT_SORT_KEYS)
    return Key(hashlib.sha256(blob).hexdigest(), stats)


def _secret(create: bool) -> bytes | None:
    """The per-user HMAC key; None if it is missing (and not created) or not private."""
    path = cache_dir() / _KEY_FILE
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
    try:
        # O_NONBLOCK: a FIFO put in its place must not stop the run waiting for a writer
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder or a device in its place
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            return None  # someone else could read or write it: its seals prove nothing
        data = fh.read(64)
    return data if len(data) == 32 else None


def _read_regular(path: Path) -> bytes:
    """A cache file's bytes; OSError when it is not a regular file (a FIFO put in its place
    must not stop the run waiting for a writer)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path}: not a regular file")
        return fh.read()


def _entry_path(key: Key) -> Path:
    return cache_dir() / key.digest[:2] / f"{key.digest}.json"


def _seal(secret: bytes, key: Key, body: bytes) -> str:
    return hmac.new(secret, key.digest.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def load(key: Key, settings: Settings) -> CheckResult | None:
    """The cached result, or None on a miss (including unreadable or unsealed entries)."""
    secret = _secret(create=False)
    if secret is None:
        return None
    try:
        mac, _, body = _read_regular(_entry_path(key)).partition(b"\n")
        if not hmac.compare_digest(mac.decode("ascii"), _seal(secret, key, body)):
            return None
        doc = orjson.loads(body)
        findings = [Finding.from_dict(f) for f in doc["findings"]]
        files = [FileState(**{**f, "dropped": set(f["dropped"])}) for f in doc["files"]]
        return CheckResult(findings, files, settings.model_profile(), settings, doc["stats"])
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _file_doc(state: FileState) -> dict[str, Any]:
    doc = dataclasses.asdict(state)
    doc["dropped"] = sorted(state.dropped)
    return doc


def store(key: Key, result: CheckResult) -> None:
    """Save a result unless an input changed during the run; failures to write (read-only
    checkout) and values JSON cannot carry exactly are ignored: the cache is a hint."""
    if not key.unchanged():
        return
    doc = {
        "findings": [f.to_dict() for f in result.findings],
        "files": [_file_doc(f) for f in result.files],
        "stats": result.stats,
    }
    try:
        body = orjson.dumps(doc)
    except TypeError:  # orjson.JSONEncodeError: something JSON would not give back as it was
        return
    root = cache_dir()
    try:
        secret = _secret(create=True)
        if secret is None:
            return
        (root / key.digest[:2]).mkdir(parents=True, exist_ok=True)
        ignore = root / ".gitignore"
        if not ignore.exists():
            atomic_write_bytes(ignore, b"# Created by fineprep.\n*\n")
        sealed = _seal(secret, key, body).encode() + b"\n" + body
        atomic_write_bytes(_entry_path(key), sealed)
    except (OSError, InputError):  # the writer refuses to replace what is not a file
        return
