"""Helpers for the robustness tests: the real CLI in a subprocess, with a time limit and rusage.

``tests/e2e/cli.py`` asserts on the way out; these tests need the raw outcome instead (a
timeout, a signal, the peak memory of that one process), so they start the process here and
reap it with ``os.wait4``, which reports the resource usage of exactly that child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
WORKERS = min(4, (os.cpu_count() or 2) + 1)


@dataclass
class Outcome:
    """How one CLI process ended. ``code`` is negative when a signal ended it."""

    args: list[str]
    code: int
    out: str
    err: str
    timed_out: bool
    maxrss_kb: int
    seconds: float

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI run: no result cache, no debug tracebacks, no colour."""
    env = {**os.environ, "NO_COLOR": "1", "FINEPREP_NO_CACHE": "1", **(extra or {})}
    env.pop("FINEPREP_DEBUG", None)
    if "TIKTOKEN_CACHE_DIR" not in env and (ROOT.parent / "shared" / "tiktoken").is_dir():
        env["TIKTOKEN_CACHE_DIR"] = str(ROOT.parent / "shared" / "tiktoken")
    return env


#: Runs a command and writes its peak RSS (KiB) to argv[1]. A child forked straight from the
#: test process would count the test process's own pages in its high-water mark (Linux keeps
#: it across exec); forked from this small launcher, it counts only its own.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def start_cli(
    args: list[str],
    *,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    stdout: int | object = subprocess.DEVNULL,
    stderr: int | object = subprocess.DEVNULL,
    measure: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``python -m fineprep ARGS`` without waiting (for kills and concurrent load runs).

    With ``measure``, the command runs under :data:`LAUNCHER`, which writes the peak RSS of
    the fineprep process to that file (read by :func:`reap`)."""
    cmd = [sys.executable, "-m", "fineprep", *args]
    if measure is not None:
        cmd = [sys.executable, "-S", "-c", LAUNCHER, str(measure), *cmd]
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        env=cli_env(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=stderr,  # type: ignore[arg-type]
        start_new_session=measure is not None,  # a kill takes the launcher and its child
    )


def reap(
    proc: subprocess.Popen[bytes], timeout: float, measure: Path | None = None
) -> tuple[int, int, bool]:
    """Wait for ``proc`` (killing it after ``timeout`` s): (exit code, peak RSS in KiB, timed
    out). The RSS is the launcher's report when ``measure`` was given to :func:`start_cli`."""
    deadline = time.monotonic() + timeout
    timed_out = False
    delay = 0.002
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            kill(proc)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here: keep Popen from waiting again
    rss = usage.ru_maxrss
    if measure is not None:
        rss = int(measure.read_text()) if measure.exists() else -1
    return code, rss, timed_out


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL without ``Popen.kill``, which may reap the child and lose its rusage; a
    launcher's session goes with it."""
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
            return
    except ProcessLookupError:
        pass
    os.kill(proc.pid, signal.SIGKILL)


def run_cli(
    args: list[str],
    *,
    cwd: Path = ROOT,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    measure: bool = False,
) -> Outcome:
    """Run the CLI to completion (or ``timeout``) and return everything about how it ended
    (``maxrss_kb`` is exact only with ``measure``)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:  # fmt: skip
        rss_file = Path(tmp) / "rss" if measure else None
        proc = start_cli(args, cwd=cwd, env=env, stdout=out, stderr=err, measure=rss_file)
        code, rss, timed_out = reap(proc, timeout, rss_file)
        out.seek(0)
        err.seek(0)
        text_out = out.read().decode("utf-8", "replace")
        text_err = err.read().decode("utf-8", "replace")
    return Outcome(args, code, text_out, text_err, timed_out, rss, time.monotonic() - started)


@cache
def command_available(name: str) -> bool:
    """Whether ``fineprep NAME --help`` works (some commands are added over time)."""
    outcome = run_cli([name, "--help"], timeout=60)
    return outcome.code == 0 and not outcome.timed_out


def require_command(name: str) -> None:
    if not command_available(name):
        pytest.skip(f"`fineprep {name}` is not available in this build")


def write_dataset(folder: Path, records: int, *, chars: int = 60) -> None:
    """Nova conversation records with a labelled sidecar (what convert writes)."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = ["billing", "account", "shipping"]
    filler = ("The parcel arrived late and the box was crushed. " * (chars // 50 + 1))[:chars]
    lines, meta = [], []
    for i in range(records):
        record = {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "user", "content": [{"text": f"Ticket {i}: {filler}"}]},
                {"role": "assistant", "content": [{"text": f"Reply {i}: {labels[i % 3]}."}]},
            ],
        }
        lines.append(orjson.dumps(record))
        meta.append(
            orjson.dumps({"id": f"T{i}", "label": labels[i % 3], "source": f"t.csv:row {i}"})
        )
    (folder / "data.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (folder / "data.meta.jsonl").write_bytes(b"\n".join(meta) + b"\n")


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """A moto server of this module's own (boto3 and moto are test dependencies)."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto")
    server = pytest.importorskip("tests.s3server")
    with server.moto_server() as moto:
        yield server, moto.url
