"""Output safety: never write over an input, one run per output at a time, files as a set.

Each file fineprep writes is atomic on its own (:class:`fineprep.io.atomic.AtomicWriter`), but a
dataset is several files: records, their sidecar, the rejects, a split's train/validation/test.
A kill between two renames, or two runs on the same ``-o``, could leave records from one run
beside a sidecar from another, with every source row pointing at the wrong record. So:

- :func:`refuse_overwrite` stops a command whose output is one of its inputs (same inode, so a
  hard link or another spelling of the path counts too);
- :class:`OutputLock` holds an exclusive ``fcntl`` lock on ``.<name>.lock`` beside the output
  for the whole run (the kernel releases it when the process ends, even on SIGKILL); a second
  run on the same output is refused with a message instead of interleaving its renames;
- :class:`OutputSet` finishes the files of one run by writing a small manifest last
  (``<name>.set.json``, or the ``set`` key of ``split.json``) that lists the SHA-256 of every
  member and a run id derived from them; :func:`verify_set` lets ``check`` report a data file
  and sidecar that do not belong to the run the manifest names.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError, InputError
from fineprep.io.atomic import atomic_write_bytes
from fineprep.io.jsonl import sidecar_path

SET_FORMAT = 1
#: Manifests that may describe a data file: its own, and a split directory's summary.
SPLIT_SUMMARY = "split.json"


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (same device and inode; same resolved path if either
    does not exist yet)."""
    try:
        return Path(a).samefile(b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def refuse_overwrite(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], flag: str = "-o"
) -> None:
    """A :class:`ConfigError` when ``output`` is any of ``inputs`` (standard input, ``-``, is
    never a file to protect)."""
    for source in inputs:
        if str(source) == "-" or not str(source):
            continue
        if same_file(output, source):
            raise ConfigError(
                f"{flag} {output}: is the same file as the input {source}; writing it would "
                "overwrite the source",
                hint="choose another output path",
            )


def url_scheme(text: str) -> str | None:
    """The scheme of a URL such as ``s3://bucket/x`` (None for a path)."""
    scheme, sep, _ = text.partition("://")
    return scheme if sep and scheme.isalnum() else None


def refuse_remote(output: str | os.PathLike[str], key: str) -> None:
    """A :class:`ConfigError` for an output given as a URL (``s3://``) in a config: outputs
    are written here, and as a path ``s3://bucket/x`` would be a local folder ``s3:``."""
    text = os.fspath(output)
    if url_scheme(text) is not None:
        raise ConfigError(
            f"{key} = {text!r}: outputs are written to a local path",
            hint="write locally; `fineprep upload` sends a dataset to S3",
        )


def lock_path(output: Path) -> Path:
    return output.with_name(f".{output.name}.lock")


class OutputLock:
    """An exclusive lock on an output for one run; a second run is refused, never mixed in."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        self.output = Path(output)
        self.path = lock_path(self.output)
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from fineprep.io.atomic import unwritable

            raise unwritable(self.output, "cannot create its folder", exc) from None
        for _ in range(10):
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK
            try:
                fd = os.open(self.path, flags, 0o666)
            except OSError as exc:
                reason = exc.strerror or exc
                raise InputError(f"{self.path}: cannot create the lock ({reason})") from None
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise InputError(
                    f"{self.path}: the lock path is not a regular file", hint="remove it"
                )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise InputError(
                    f"{self.output}: another fineprep run is writing this output right now",
                    hint="wait for it to finish, or write to another path",
                ) from None
            try:
                current = self.path.stat().st_ino
            except OSError:
                current = -1
            if current == os.fstat(fd).st_ino:
                self._fd = fd
                return self
            os.close(fd)  # the holder before us removed this file as it let go: lock anew
        raise InputError(f"{self.output}: could not take the output lock", hint="try again")

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            # Remove the file while still holding the lock, then let go: a run that opened
            # the old file sees it is gone (inode check above) and locks a fresh one.
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = None


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def set_manifest_path(data: str | os.PathLike[str]) -> Path:
    """``out/train.jsonl`` -> ``out/train.set.json``."""
    p = Path(data)
    name = p.name[: -len(".jsonl")] if p.name.endswith(".jsonl") else p.name
    return p.with_name(f"{name}.set.json")


def set_record(members: Iterable[Path], known: dict[Path, str] | None = None) -> dict[str, Any]:
    """The manifest body: the SHA-256 of every member by file name, and the run id, a digest
    of those (the same outputs give the same manifest, so reruns stay byte-identical; files of
    two different runs never share one). ``known``: digests by path that the writers
    computed as they wrote (``AtomicWriter(digest=True)``), so those files are not read again."""
    known = known or {}
    digests = {m.name: known.get(m) or file_sha256(m) for m in members if m.is_file()}
    run = hashlib.sha256(repr(sorted(digests.items())).encode()).hexdigest()[:16]
    return {"format": SET_FORMAT, "run": run, "members": digests}


def write_set_manifest(
    path: Path, members: Iterable[Path], known: dict[Path, str] | None = None
) -> None:
    """Write the manifest last: the set is complete once it is in place."""
    import orjson

    body = set_record(members, known)
    atomic_write_bytes(path, orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")


def _manifest_of(data: Path) -> tuple[Path, dict[str, Any]] | None:
    """The manifest that lists ``data`` (its own, or a split summary's ``set``), if any."""
    import orjson

    for candidate in (set_manifest_path(data), data.with_name(SPLIT_SUMMARY)):
        try:
            doc = orjson.loads(candidate.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        body = doc.get("set", doc) if isinstance(doc, dict) else None
        if (
            isinstance(body, dict)
            and isinstance(body.get("members"), dict)
            and data.name in body["members"]
        ):
            return candidate, body
    return None


def verify_set(
    data: str | os.PathLike[str], sidecar: Path | None, *, sidecar_only: bool = False
) -> str | None:
    """Why ``data`` and its sidecar do not belong to the run their manifest names (None: they
    do, or no manifest describes them). Hashes both files: runs at disk speed.

    ``sidecar_only``: judge only the sidecar. A data file edited by hand beside its own sidecar
    still lines up; a sidecar of another run (a kill between two renames) never does."""
    path = Path(data)
    found = _manifest_of(path)
    if found is None:
        return None
    manifest, body = found
    members: dict[str, Any] = body["members"]
    run = body.get("run")
    if not (isinstance(run, str) and len(run) <= 64 and run.isascii() and run.isalnum()):
        run = "?"  # the manifest is input too: only a plain id is quoted back
    wrong = []
    for member in (path, sidecar):
        if member is None or (sidecar_only and member == path):
            continue
        expected = members.get(member.name)
        if expected is None:
            wrong.append(f"{member.name} is not in it")
            continue
        with contextlib.suppress(OSError):
            if file_sha256(member) == expected:
                continue
        wrong.append(f"{member.name} was written by another run or changed since")
    if sidecar is None and sidecar_path(path).name in members:
        wrong.append(f"its sidecar {sidecar_path(path).name} is missing")
    if not wrong:
        return None
    return f"{manifest.name} (run {run}) does not describe these files: " + "; ".join(wrong)


def refuse_mixed_set(data: str | os.PathLike[str]) -> None:
    """An :class:`InputError` when a dataset's sidecar is not the one its manifest names: a
    stage that reads labels, groups or ids from the sidecar would attach them to the wrong
    records. (Records edited by hand beside their own sidecar pass: they still line up.)"""
    sidecar = sidecar_path(data)
    problem = verify_set(data, sidecar if sidecar.is_file() else None, sidecar_only=True)
    if problem is not None:
        raise InputError(
            f"{data}: {problem}",
            hint="regenerate both files together, or delete the manifest if you edited the "
            "sidecar on purpose",
        )


class OutputSet:
    """The files of one run, committed as a set: members first, manifest last."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest

    def finish(self, members: Iterable[Path], known: dict[Path, str] | None = None) -> None:
        write_set_manifest(self.manifest, members, known)

    def record(
        self, members: Iterable[Path], known: dict[Path, str] | None = None
    ) -> dict[str, Any]:
        """The body for a manifest that is part of a larger document (``split.json``)."""
        return set_record(members, known)
