"""Standard streams that cannot be used: one line on stderr and exit 2, never a traceback or an
"internal error" (stdout on a full disk, stdin closed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "fineprep", *args], text=True, capture_output=False,
        stderr=subprocess.PIPE, check=False, timeout=120, **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["check", "--help"], ["explain", "P001"], ["check", "X"]]
)
def test_stdout_on_a_full_disk(args: list[str], tmp_path: Path) -> None:
    data = tmp_path / "x.jsonl"
    data.write_text('{"prompt": "a question", "completion": "an answer"}\n')
    args = [str(data) if a == "X" else a for a in args]
    with Path("/dev/full").open("w") as full:
        run = _run(args, stdout=full)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "fineprep: error: cannot write to standard output: No space left on device"
    ]


def test_stdin_closed(tmp_path: Path) -> None:
    run = _run(["check", "-"], stdin=None, stdout=subprocess.DEVNULL, close_fds=True,
               preexec_fn=lambda: __import__("os").close(0))  # fmt: skip
    assert run.returncode == 2
    assert "standard input is closed" in run.stderr and "internal error" not in run.stderr


def test_a_file_name_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    name = b"bad\xffname.jsonl"
    (tmp_path / os.fsdecode(name)).write_text(
        '{"prompt": "a question", "completion": "an answer"}\n'
    )
    for fmt in ("json", "sarif", "text"):
        run = subprocess.run(
            [sys.executable.encode(), b"-m", b"fineprep", b"check", name, b"--output-format",
             fmt.encode()],
            cwd=tmp_path, capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        assert run.returncode == 2
        err = run.stderr.decode()
        assert "'bad\\xffname.jsonl' is not valid UTF-8" in err and "internal error" not in err
