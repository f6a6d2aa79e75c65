"""The files a conversion writes: records, their sidecar, rejects, and the set manifest.

All are written through :class:`fineprep.io.atomic.AtomicWriter`, so each appears complete or
not at all, and they are committed as a set (:mod:`fineprep.io.outputs`): the run holds a lock
on the output, renames rejects, then the sidecar, then the records, and writes
``<name>.set.json`` (run id and SHA-256 of every member) last, so ``check`` can tell a records
file and a sidecar of different runs apart after a kill between two renames. The rejects file
is created only when a row is rejected (named or not): an empty one is never written, and one
an earlier run left is removed, so it never describes that run.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

from fineprep.core import jsonexact
from fineprep.core.model import RecordMeta
from fineprep.io.atomic import AtomicWriter
from fineprep.io.jsonl import sidecar_path
from fineprep.io.outputs import OutputLock, OutputSet, set_manifest_path

#: One JSON line, newline appended by orjson (no copy of the record to add it).
_LINE = orjson.OPT_APPEND_NEWLINE


def rejects_path(output: str | Path) -> Path:
    """``out/train.jsonl`` -> ``out/train.rejects.jsonl`` (the default rejects file)."""
    p = Path(output)
    name = p.name[: -len(".jsonl")] if p.name.endswith(".jsonl") else p.name
    return p.with_name(f"{name}.rejects.jsonl")


def _default(value: Any) -> Any:
    return str(value)


class _Abort(Exception):
    """Passed to a writer's ``__exit__`` to discard its temporary file."""


def meta_line(meta: RecordMeta) -> bytes:
    """A record's sidecar line: orjson directly (one call, no fallback layers, for the common
    line); a value it cannot write (a long integer, an odd type) takes the general path,
    which gives the same bytes for everything orjson writes."""
    line = meta.to_dict()
    try:
        return orjson.dumps(line, option=_LINE)
    except TypeError:
        return jsonexact.dumps(line, default=_default, option=_LINE)


def reject_line(source: str, reason: str, raw: str | None) -> bytes:
    """A line of the rejects file."""
    line = {"source": source, "reason": reason, "raw": raw}
    return jsonexact.dumps(line, default=_default, option=_LINE)


class Outputs:
    """Open writers for one conversion; ``commit`` or ``discard`` exactly once."""

    def __init__(self, output: Path, rejects: Path) -> None:
        self.output = output
        self.sidecar = sidecar_path(output)
        self.rejects = rejects
        self.manifest = set_manifest_path(output)
        self.records = 0
        self.rejected = 0
        self.last_reason = ""
        self._open: list[AtomicWriter] = []
        self._set = OutputSet(self.manifest)
        #: SHA-256 of each committed file, computed while it was written (for the manifest).
        self._digests: dict[Path, str] = {}
        self._lock = OutputLock(output).__enter__()
        try:
            self._out_fh = self._enter(AtomicWriter(output, digest=True))
            self._meta_fh = self._enter(AtomicWriter(self.sidecar, digest=True))
        except BaseException:
            self.discard()
            raise
        self._rej_fh: IO[bytes] | None = None

    def _enter(self, writer: AtomicWriter) -> IO[bytes]:
        fh = writer.__enter__()
        self._open.append(writer)
        return fh

    def _close(self, writer: AtomicWriter, keep: bool) -> None:
        self._open.remove(writer)
        if keep:
            writer.__exit__(None, None, None)
            if writer.sha256 is not None:
                self._digests[writer.path] = writer.sha256
        else:
            writer.__exit__(_Abort, _Abort(), None)

    def write(self, record: dict[str, Any], meta: RecordMeta, line: bytes | None = None) -> None:
        """Write one record (``line``: the record already serialized as its JSON line)."""
        self.write_lines(
            line if line is not None else jsonexact.dumps(record, option=_LINE), meta_line(meta)
        )

    def write_lines(self, line: bytes, meta: bytes) -> None:
        """Write one record and its sidecar line, both already serialized."""
        self._out_fh.write(line)
        self._meta_fh.write(meta)
        self.records += 1

    def reject(self, source: str, reason: str, raw: str | None) -> None:
        if self._rej_fh is None:
            self._rej_fh = self._enter(AtomicWriter(self.rejects, digest=True))
        self._rej_fh.write(reject_line(source, reason, raw))
        self.rejected += 1
        self.last_reason = reason

    def append_part(
        self, records: str, meta: str, rejects: str, counts: tuple[int, int], last_reason: str
    ) -> None:
        """Append a partition's part files (records, sidecar, rejects) and remove them."""
        import shutil

        n_records, n_rejected = counts
        if n_rejected and self._rej_fh is None:
            self._rej_fh = self._enter(AtomicWriter(self.rejects, digest=True))
        targets = ((records, self._out_fh), (meta, self._meta_fh), (rejects, self._rej_fh))
        for path, fh in targets:
            try:
                if fh is not None:
                    with Path(path).open("rb") as part:
                        shutil.copyfileobj(part, fh, 1 << 20)
            finally:
                Path(path).unlink(missing_ok=True)
        self.records += n_records
        self.rejected += n_rejected
        if n_rejected:
            self.last_reason = last_reason

    def commit(self, *, keep_records: bool = True) -> None:
        """Make the files appear: rejects, then sidecar, then records (if ``keep_records``),
        then the manifest that seals them as one run's set."""
        try:
            for writer in list(self._open):
                if writer.path == self.rejects:
                    self._close(writer, True)
            for path in (self.sidecar, self.output):
                for writer in list(self._open):
                    if writer.path == path:
                        self._close(writer, keep_records)
            if keep_records:
                members = [self.output, self.sidecar]
                if self.rejected:
                    members.append(self.rejects)
                self._set.finish(members, self._digests)
            elif self.manifest.is_file():
                self.manifest.unlink()
        except BaseException:
            self.discard()
            raise
        finally:
            self._unlock()

    def discard(self) -> None:
        """Remove every temporary file; nothing appears."""
        for writer in list(self._open):
            try:
                self._close(writer, False)
            except OSError:
                pass
        self._unlock()

    def _unlock(self) -> None:
        self._lock.__exit__(None, None, None)
