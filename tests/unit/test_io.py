"""Atomic writes: a file appears complete or not at all, and killed writers leave no litter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_atomic_writer_removes_temp_files_of_killed_writers(tmp_path: Path) -> None:
    from fineprep.io.jsonl import atomic_write_bytes

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
