"""Atomic writes: a file appears complete or not at all, and killed writers leave no litter."""

from __future__ import annotations

import errno
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fineprep.io.outputs import file_sha256


def test_atomic_writer_removes_temp_files_of_killed_writers(tmp_path: Path) -> None:
    from fineprep.io.atomic import atomic_write_bytes

    target = tmp_path / "train.jsonl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    orphan = tmp_path / f".train.jsonl.{dead}.abc123.tmp"
    orphan.write_bytes(b"half")
    other = tmp_path / ".other.jsonl.1.x.tmp"
    other.write_bytes(b"not ours")
    atomic_write_bytes(target, b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert not orphan.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.jsonl.1.x.tmp", "train.jsonl"]


@settings(max_examples=60, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=40), every=st.integers(1, 200))
def test_the_digest_is_the_written_files_sha256_with_write_backs_under_way(
    tmp_path_factory: pytest.TempPathFactory, chunks: list[bytes], every: int
) -> None:
    import fineprep.io.atomic as atomic

    target = tmp_path_factory.mktemp("w") / "out.jsonl"
    before = atomic.WRITEBACK_BYTES
    atomic.WRITEBACK_BYTES = every  # a background fdatasync every few bytes
    try:
        writer = atomic.AtomicWriter(target, digest=True)
        with writer as fh:
            for chunk in chunks:
                fh.write(chunk)
    finally:
        atomic.WRITEBACK_BYTES = before
    assert target.read_bytes() == b"".join(chunks)
    assert writer.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert writer.sha256 == file_sha256(target)


def test_a_failed_background_write_back_fails_the_write_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fineprep.io.atomic as atomic

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    target = tmp_path / "out.jsonl"
    target.write_bytes(b"the previous run's file\n")
    monkeypatch.setattr(atomic, "WRITEBACK_BYTES", 8)
    monkeypatch.setattr(atomic.os, "fdatasync", broken)
    with pytest.raises(OSError, match="Input/output error"), atomic.AtomicWriter(target) as fh:
        for _ in range(100):
            fh.write(b"x" * 64)
            fh.flush()
    assert target.read_bytes() == b"the previous run's file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_written_files_have_the_umask_permissions_and_no_digest_unless_asked(
    tmp_path: Path,
) -> None:
    from fineprep.io.atomic import AtomicWriter, current_umask

    writer = AtomicWriter(tmp_path / "a.jsonl")
    with writer as fh:
        fh.write(b"{}\n")
    assert writer.sha256 is None and writer.written
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o777 == 0o666 & ~current_umask()
