"""Inputs that never end or are not files: refused up front, or read in bounded memory.

A FIFO waits for a writer forever, ``/dev/zero`` never ends, a socket cannot be read: check,
split and convert refuse them before opening them (standard input, ``-``, is the way to stream).
A line longer than max-line-bytes is one P007 finding, read past in pieces without being held;
input with no newline at all (``/dev/zero`` on stdin) ends with that finding.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from fineprep.core.errors import InputError
from fineprep.io.jsonl import LineTooLong, bounded_lines, iter_lines, require_regular_file
from tests.robustness.conftest import run_cli

OK = b'{"prompt": "What is the capital of France?", "completion": "Paris is."}\n'


def _special(tmp_path: Path, kind: str) -> str:
    if kind == "fifo":
        path = tmp_path / "data.jsonl"
        os.mkfifo(path)
        return str(path)
    if kind == "socket":
        path = tmp_path / "s.jsonl"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        return str(path)
    return {"zero": "/dev/zero", "null": "/dev/null", "urandom": "/dev/urandom"}[kind]


def _commands(path: str, tmp_path: Path) -> list[list[str]]:
    return [
        ["check", "--no-cache", "--isolated", path],
        ["split", path, "-o", str(tmp_path / "split"), "--isolated"],
        ["convert", path, "-o", str(tmp_path / "out" / "o.jsonl"), "--to", "prompt-completion"],
    ]


@pytest.mark.parametrize("kind", ["fifo", "socket", "zero", "null", "urandom"])
def test_special_files_are_refused_up_front(tmp_path: Path, kind: str) -> None:
    path = _special(tmp_path, kind)
    for args in _commands(path, tmp_path):
        outcome = run_cli([*args, "--isolated"] if args[0] == "convert" else args, timeout=60)
        assert not outcome.timed_out, args
        assert outcome.code == 2, (args, outcome.err)
        assert len(outcome.err_lines) == 1, outcome.err
        line = outcome.err_lines[0]
        assert line.startswith("fineprep: error: ") and path in line and "regular file" in line


def test_require_regular_file() -> None:
    require_regular_file("-")
    with pytest.raises(InputError, match="character device"):
        require_regular_file("/dev/zero")
    with pytest.raises(InputError, match="no such file"):
        require_regular_file("/nonexistent/x.jsonl")


def test_a_long_line_is_skipped_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(OK + b"x" * 5000 + b"\n" + OK + b"y" * 3000)
    with path.open("rb") as fh:
        lines = list(bounded_lines(fh, 1000))
    assert lines[0] == OK and lines[2] == OK
    assert isinstance(lines[1], LineTooLong) and lines[1].size == 5000 and lines[1].ended
    assert isinstance(lines[3], LineTooLong) and lines[3].size == 3000
    with path.open("rb") as fh, pytest.raises(InputError, match=":2: line of 5,000 bytes"):
        list(iter_lines(fh, 1000, name=str(path)))


def test_check_reports_a_long_line_and_reads_on(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(OK + b'{"prompt": "' + b"a" * 3_000_000 + b'"}\n' + OK)
    args = ["check", "--no-cache", "--isolated", "--max-line-bytes", "1000000", str(path)]
    outcome = run_cli([*args, "--output-format", "json"], timeout=120)
    assert outcome.code == 1, outcome.err
    assert '"P007"' in outcome.out and '"records": 2' in outcome.out.replace(": 2,", ": 2")


def test_max_line_bytes_from_config(tmp_path: Path) -> None:
    (tmp_path / "fineprep.toml").write_text("[tool.fineprep]\nmax-line-bytes = 100\n")
    path = tmp_path / "train.jsonl"
    path.write_bytes(OK + b'{"prompt": "' + b"a" * 200 + b'", "completion": "b"}\n')
    outcome = run_cli(["check", "--no-cache", str(path)], cwd=tmp_path)
    assert outcome.code == 1 and "P007" in outcome.out and ":2:" in outcome.out


@pytest.mark.slow
def test_endless_stdin_without_newlines_ends_with_p007(tmp_path: Path) -> None:
    """``check - < /dev/zero``: no MemoryError and no endless read; memory stays near the
    line maximum."""
    import subprocess
    import sys

    from tests.robustness.conftest import cli_env

    with Path("/dev/zero").open("rb") as zero:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "fineprep",
                "check",
                "--no-cache",
                "--max-line-bytes",
                "2000000",
                "-",
            ],
            stdin=zero,
            capture_output=True,
            env=cli_env(),
            timeout=120,
            check=False,
        )
    assert proc.returncode == 1, proc.stderr
    assert b"P007" in proc.stdout and b"stopped reading" in proc.stdout


@pytest.mark.slow
def test_huge_newline_less_file_stays_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    with path.open("wb") as fh:
        for _ in range(200):
            fh.write(b"A" * 1_000_000)  # 200 MB, no newline
    args = ["check", "--no-cache", "--isolated", "--max-line-bytes", "4000000", str(path)]
    outcome = run_cli(args, timeout=300, measure=True)
    assert outcome.code == 1, outcome.err
    assert "P007" in outcome.out
    assert outcome.maxrss_kb < 300 * 1024, f"peak RSS {outcome.maxrss_kb // 1024} MiB"
