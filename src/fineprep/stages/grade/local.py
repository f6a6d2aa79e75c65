"""A local grader (``path/grader.py:lambda_handler``) in a process of its own, with a time limit.

The handler is loaded once per process, as a warm Lambda is, and called once per batch. A
batch that overruns the limit gets the process stopped (a hanging or looping grader cannot
hang fineprep) and a fresh one started for the next batch; a process that dies is reported as
a crash with the last line it wrote to stderr.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from fineprep.core.errors import InputError
from fineprep.stages.grade.calls import Call, Failure


class LocalGrader:
    """Calls ``FILE:FUNCTION`` in a worker process; one instance per grading run."""

    def __init__(self, spec: str) -> None:
        file, sep, function = spec.rpartition(":")
        if not sep or not file or not function or not file.endswith(".py"):
            raise InputError(
                f"--grader {spec}: expected FILE.py:FUNCTION (or a Lambda ARN)",
                hint="e.g. --grader graders/math.py:lambda_handler",
            )
        if not Path(file).is_file():
            raise InputError(f"--grader {spec}: no such file {file}")
        self.spec = spec
        self.name = Path(file).name
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr: IO[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        # Closed in close(): it outlives this call, as long as the worker does.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "fineprep.stages.grade.worker", self.spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        self.proc = proc
        hello = self._read(proc, 60.0)
        if hello is None or not hello.get("ready"):
            self.close()
            why = (
                f"{hello.get('type')}: {hello.get('message')}"
                if hello
                else self._last_stderr() or "it exited"
            )
            raise InputError(f"--grader {self.spec}: cannot load the handler ({why})")
        return proc

    def _read(self, proc: subprocess.Popen[bytes], limit: float) -> dict[str, Any] | None:
        """One protocol line within ``limit`` seconds, or None (timeout or exit)."""
        assert proc.stdout is not None
        deadline = time.monotonic() + limit
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    return None
                buf += chunk
        message: dict[str, Any] = json.loads(buf)
        return message

    def _last_stderr(self) -> str:
        if self.stderr is None:
            return ""
        self.stderr.seek(0)
        lines = [ln for ln in self.stderr.read().decode("utf-8", "replace").splitlines() if ln]
        return lines[-1][:300] if lines else ""

    def call(self, event: list[dict[str, Any]], timeout: float) -> Call:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None
        started = time.perf_counter()
        try:
            proc.stdin.write(
                json.dumps({"event": event, "timeout_ms": int(timeout * 1000)}).encode() + b"\n"
            )
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        answer = self._read(proc, timeout)
        seconds = time.perf_counter() - started
        if answer is None:
            exited = proc.poll() is not None
            detail = self._last_stderr() if exited else ""
            self.close()
            if exited:
                return Call(seconds, failure=Failure("crash", f"the grader process died: {detail}"))
            return Call(seconds, timed_out=True)
        if not answer.get("ok"):
            where = f" ({answer['where']})" if answer.get("where") else ""
            return Call(
                seconds,
                failure=Failure(
                    str(answer.get("type")),
                    f"{answer.get('message')}{where}",
                    str(answer.get("type")),
                ),
            )
        return Call(seconds, result=answer.get("result"))

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
