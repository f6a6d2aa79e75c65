"""Ctrl-C and SIGTERM at start-up, mid-run and shutdown: one line, 130 / 143, no traceback.

Real subprocesses receive real signals. To hit a moment rather than a random point, a
``sitecustomize`` (test-only, on PYTHONPATH) leaves a marker file and pauses when a chosen
module is first imported (start-up: the command's own module) or in an ``atexit`` hook
(shutdown); mid-run is ``check -`` waiting on standard input.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.cli import ROOT

PAUSER = """
import atexit, os, sys, time
_module = os.environ.get("PAUSE_AT")
_marker = os.environ.get("PAUSE_MARKER")

def _pause():
    open(_marker, "w").close()
    time.sleep(5)

class _Pauser:
    def find_spec(self, name, path=None, target=None):
        if name == _module:
            sys.meta_path.remove(self)
            _pause()
        return None

if _module == "atexit":
    atexit.register(_pause)
elif _module:
    sys.meta_path.insert(0, _Pauser())
"""


def start(tmp_path: Path, *args: str, pause_at: str = "") -> tuple[subprocess.Popen[bytes], Path]:
    (tmp_path / "sitecustomize.py").write_text(PAUSER, encoding="utf-8")
    marker = tmp_path / "paused"
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "FINEPREP_NO_CACHE": "1",
        "PYTHONPATH": str(tmp_path),
        "PAUSE_AT": pause_at,
        "PAUSE_MARKER": str(marker),
    }
    env.pop("FINEPREP_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineprep", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    return proc, marker


def wait_for(marker: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never reached the pause"
        time.sleep(0.02)


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode("utf-8", "replace")


def assert_clean(code: int, err: str, expected: int, word: str) -> None:
    assert code == expected, (code, err)
    assert f"fineprep: {word}" in err, err
    for noise in ("Traceback", "Aborted!", "KeyboardInterrupt", "internal error"):
        assert noise not in err, err


@pytest.mark.parametrize(
    ("sig", "expected", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_signal_during_start_up(tmp_path: Path, sig: int, expected: int, word: str) -> None:
    proc, marker = start(tmp_path, "check", "-", pause_at="fineprep.cli.check")
    wait_for(marker, proc)
    proc.send_signal(sig)
    assert_clean(*finish(proc), expected, word)


@pytest.mark.parametrize(
    ("sig", "expected", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_signal_mid_run_leaves_no_output(
    tmp_path: Path, sig: int, expected: int, word: str
) -> None:
    report = tmp_path / "report.json"
    args = ("check", "-", "-m", "nova-lite", "--output-format", "json", "-o", str(report))
    proc, marker = start(tmp_path, *args, pause_at="fineprep.stages.check.engine")
    wait_for(marker, proc)
    assert proc.stdin is not None
    proc.stdin.write(b'{"prompt": "q", "completion": "a"}\n')
    proc.stdin.flush()
    time.sleep(6)  # past the pause: the check is now waiting for more standard input
    assert proc.poll() is None
    proc.send_signal(sig)
    assert_clean(*finish(proc), expected, word)
    assert not report.exists()
    assert not list(tmp_path.glob("report.json*"))  # no temporary file either


def test_signal_during_shutdown(tmp_path: Path) -> None:
    proc, marker = start(tmp_path, "models", pause_at="atexit")
    wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    assert_clean(*finish(proc), 130, "interrupted")


def test_interrupt_while_writing_to_a_full_pipe(tmp_path: Path) -> None:
    """The report blocked on a reader that does not read (the end of a run): still clean."""
    data = tmp_path / "short.jsonl"
    data.write_bytes(b'{"prompt": "a question", "completion": "b"}\n' * 5000)  # D001 each
    # JSON lists every finding (text summarises a cause repeated over the file).
    proc, _ = start(
        tmp_path, "check", str(data), "-m", "nova-lite", "--exit-zero", "--output-format", "json"
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)  # the report (> 64 KiB) fills the pipe and the write blocks
        if _blocked_writing(proc.pid):
            break
    assert proc.poll() is None, "the report fitted in the pipe buffer"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert_clean(proc.returncode, err.decode(), 130, "interrupted")


def _blocked_writing(pid: int) -> bool:
    """Whether the process sleeps in a pipe write (Linux; elsewhere: after a few seconds)."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        time.sleep(3)
        return True
    return "pipe_write" in wchan


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_with_worker_processes(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches every process of the group: the partition workers of
    ``--jobs 2`` stay silent and the command still ends with one line and 130."""
    data = tmp_path / "big.jsonl"
    row = b'{"prompt": "question number %d about the thing", "completion": "answer %d"}\n'
    data.write_bytes(b"".join(row % (i, i) for i in range(400_000)))
    env = {**os.environ, "FINEPREP_NO_CACHE": "1", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineprep", "check", str(data), "-m", "llama3-1-8b", "--jobs", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:  # the pool is working
        assert proc.poll() is None, "finished before the interrupt"
        time.sleep(0.05)
    assert proc.poll() is None, "finished before the interrupt"
    os.killpg(proc.pid, signal.SIGINT)
    assert_clean(*finish(proc), 130, "interrupted")


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: its tasks' children lists in /proc)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        return found
    return found
