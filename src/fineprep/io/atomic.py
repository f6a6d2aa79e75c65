"""Files that appear whole or not at all, written back to disk while they are written.

Every output goes through a temporary file in the same directory, ``fsync`` and ``os.replace``,
so an interrupted run never leaves a half-written file where a good one is expected. Two costs
of that come at the very end of a run, when nothing else can overlap them: the ``fsync`` of
everything written (about a second per 500 MB here), and reading the file again for the
SHA-256 its set manifest records. So the raw file under the writer's buffer hashes the bytes
as they pass (``digest=True``), and once 64 MB are written since the last write-back it starts
an ``fdatasync`` in a thread (the system call releases the GIL): the final ``fsync`` then waits
for the last stretch only. An error a background write-back meets is raised by the writer's
close, as the final ``fsync`` would have raised it (on Linux only the first ``fsync`` after a
failed write-back sees the error).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from fineprep.core.errors import InputError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: Bytes written between two background write-backs.
WRITEBACK_BYTES = 64 * 1024 * 1024


class _TrackedFile(io.FileIO):
    """The temporary file: its writes hashed, and written back to disk in the background."""

    def __init__(self, fd: int, digest: bool) -> None:
        super().__init__(fd, "wb", closefd=True)
        self.sha = hashlib.sha256() if digest else None
        self._pending = 0
        self._sync: threading.Thread | None = None
        self._error: OSError | None = None

    def write(self, data: ReadableBuffer, /) -> int:
        n = super().write(data)
        if n:
            if self.sha is not None:
                view = memoryview(data).cast("B")
                self.sha.update(view if n == len(view) else view[:n])
            self._pending += n
            if self._pending >= WRITEBACK_BYTES and not self._syncing():
                self._pending = 0
                self._sync = threading.Thread(target=self._write_back, daemon=True)
                self._sync.start()
        return n

    def _syncing(self) -> bool:
        return self._sync is not None and self._sync.is_alive()

    def _write_back(self) -> None:
        try:
            os.fdatasync(self.fileno())
        except OSError as exc:
            self._error = exc

    def _join(self) -> None:
        if self._sync is not None:
            self._sync.join()
            self._sync = None

    def settle(self) -> None:
        """Wait for the background write-back; raise the error it met, if any."""
        self._join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        self._join()  # never close the descriptor under a running fdatasync
        super().close()


class AtomicWriter:
    """A file that appears at ``path`` only when the ``with`` block completes without error.

    The file gets the permissions any other program would give it (``0666`` less the umask),
    not the ``0600`` of a temporary file; ``private=True`` keeps it ``0600`` (keys, caches).
    A path that exists and is not a regular file (a directory, FIFO or device node) is
    refused before anything is written: replacing ``/dev/sda`` or a named pipe is never meant.
    With ``skip_empty=True`` a file that received no bytes does not appear, and a file an
    earlier run left at the path is removed (it would describe that run, not this one);
    ``written`` says whether the file appeared. With ``digest=True``, ``sha256`` is the hex
    SHA-256 of what was written once the block has completed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: str = "wb",
        *,
        private: bool = False,
        skip_empty: bool = False,
        digest: bool = False,
    ) -> None:
        self.path = Path(path)
        self.mode = mode
        self.private = private
        self.skip_empty = skip_empty
        self.digest = digest
        self.written = False
        self.sha256: str | None = None
        self._tmp: Path | None = None
        self._fh: io.BufferedWriter | None = None
        self._raw: _TrackedFile | None = None

    def __enter__(self) -> IO[bytes]:
        refuse_special(self.path)
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unwritable(
                self.path, f"cannot create the folder {exc.filename or folder}", exc
            ) from None
        _remove_orphans(self.path)
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.{os.getpid()}.", suffix=".tmp", dir=folder
            )
        except OSError as exc:
            raise unwritable(self.path, f"no file can be created in {folder}", exc) from None
        self._tmp = Path(tmp)
        try:
            if not self.private:
                os.fchmod(fd, 0o666 & ~current_umask())
            self._raw = _TrackedFile(fd, self.digest)
        except BaseException:
            os.close(fd)
            self._tmp.unlink()
            raise
        self._fh = io.BufferedWriter(self._raw, 1 << 20)
        return self._fh

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._fh is not None and self._raw is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._fh.flush()
                self._raw.settle()
                os.fsync(self._raw.fileno())
                empty = self._fh.tell() == 0
            self._fh.close()
            if exc_type is None:
                if self._raw.sha is not None:
                    self.sha256 = self._raw.sha.hexdigest()
                if self.skip_empty and empty:
                    if self.path.is_file():
                        self.path.unlink()
                else:
                    self._tmp.replace(self.path)
                    self.written = True
        finally:
            if not self._fh.closed:
                with contextlib.suppress(OSError):
                    self._fh.close()
            if self._tmp.exists():
                with contextlib.suppress(OSError):
                    self._tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with AtomicWriter(path) as fh:
        fh.write(data)


def current_umask() -> int:
    """The process umask, read without changing it where the platform allows (Linux)."""
    try:
        with Path("/proc/self/status").open("rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # set and restore: the only portable way to read it
    os.umask(mask)
    return mask


def refuse_special(path: Path) -> None:
    """An :class:`InputError` when ``path`` exists and is not a regular file."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a directory"
            if stat.S_ISDIR(st.st_mode)
            else "a named pipe"
            if stat.S_ISFIFO(st.st_mode)
            else "a device node"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "not a regular file"
        )
        raise InputError(
            f"{path}: exists and is {kind}, not a file fineprep may replace",
            hint="choose another output path",
        )


def unwritable(path: Path, what: str, exc: OSError) -> InputError:
    """The error for an output that cannot be written (exit 2, one line naming it): a folder
    on the way that is a regular file is named as such, since the system's "File exists" or
    "Not a directory" would not say which one."""
    blocker = next(
        (p for p in (path.parent, *path.parent.parents) if p.exists() and not p.is_dir()), None
    )
    reason = f"{blocker} is a file, not a folder" if blocker else f"{what}: {exc.strerror or exc}"
    return InputError(f"{path}: cannot write ({reason})", hint="choose another output path")


def _remove_orphans(path: Path) -> None:
    """Delete temp files of earlier writers of ``path`` that were killed (their process is
    gone), so an interrupted run leaves nothing behind once the next run writes the file."""
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        pid_text = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except (PermissionError, OverflowError, OSError):
            continue


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
