"""A local grader (``path/grader.py:lambda_handler``) in a process of its own, with a time limit.

The handler is loaded once per process, as a warm Lambda is, and called once per batch. A
batch that overruns the limit gets the process stopped (a hanging or looping grader cannot
hang fineprep) and a fresh one started for the next batch; a process that dies is reported as
a crash with its exit status and the last line it wrote to stderr during that call.

A closed protocol stream and a silent one are told apart: the end of the stream means the
process is exiting, so it is waited for and reported as a crash however quickly its exit
status becomes visible, and only silence until the limit is a timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from fineprep.core.errors import InputError
from fineprep.stages.grade.calls import Call, Failure

#: Seconds a worker that closed its end of the protocol gets to finish exiting. Exiting takes
#: milliseconds; the grace only runs out for a grader that closes the stream and carries on.
EXIT_GRACE = 5.0
#: Seconds a worker gets to import the grader's module and report that it is ready.
START_LIMIT = 60.0
_TAIL_BYTES = 1 << 16


class _Closed(Exception):
    """The worker's protocol stream ended (it is exiting), or carried a line that is not a
    protocol message (``garbled``: nothing it sends after that can be trusted)."""

    def __init__(self, garbled: bool = False) -> None:
        super().__init__()
        self.garbled = garbled


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
        try:
            hello = self._read(proc, START_LIMIT)
        except _Closed as closed:
            why = f": {self._died(proc, 0, closed.garbled)}"
        else:
            if hello is None:
                why = f" (it did not start within {START_LIMIT:g} s)"
            elif not hello.get("ready"):
                why = f" ({hello.get('type')}: {hello.get('message')})"
            else:
                return proc
        self.close()
        raise InputError(f"--grader {self.spec}: cannot load the handler{why}")

    def _read(self, proc: subprocess.Popen[bytes], limit: float) -> dict[str, Any] | None:
        """One protocol line within ``limit`` seconds, or None when the limit passes first.

        Raises :class:`_Closed` when the stream ends first, so that an exit is never taken
        for a timeout: a process that has closed the stream may not be reaped yet.
        """
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
                    raise _Closed
                buf += chunk
        try:
            message = json.loads(buf)
        except ValueError:
            raise _Closed(garbled=True) from None
        if not isinstance(message, dict):
            raise _Closed(garbled=True)
        return message

    def _died(self, proc: subprocess.Popen[bytes], since: int, garbled: bool = False) -> str:
        """Why the worker is gone (exit status or signal) and what it wrote to stderr since
        ``since``: waited for first, so the same crash reads the same on every run."""
        if garbled:
            proc.kill()
            proc.wait()
            return "the grader process wrote something other than an answer to fineprep's pipe"
        try:
            code: int | None = proc.wait(EXIT_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
        if code is None:
            what = f"closed its answer pipe but did not exit within {EXIT_GRACE:g} s"
        elif code < 0:
            try:
                what = f"died (killed by {signal.Signals(-code).name})"
            except ValueError:
                what = f"died (killed by signal {-code})"
        else:
            what = f"died (exit status {code})"
        tail = self._stderr_tail(since)
        return f"the grader process {what}" + (f": {tail}" if tail else "")

    def _stderr_size(self) -> int:
        return os.fstat(self.stderr.fileno()).st_size if self.stderr is not None else 0

    def _stderr_tail(self, since: int) -> str:
        """The last non-blank line written to stderr after byte ``since``.

        Read with ``pread``: the worker shares the file's offset, so seeking would move where
        a live worker writes next.
        """
        if self.stderr is None:
            return ""
        size = self._stderr_size()
        start = max(since, size - _TAIL_BYTES)
        text = os.pread(self.stderr.fileno(), size - start, start).decode("utf-8", "replace")
        lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
        return lines[-1][:300] if lines else ""

    def call(self, event: list[dict[str, Any]], timeout: float) -> Call:
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None
        since = self._stderr_size()
        started = time.perf_counter()
        try:
            proc.stdin.write(
                json.dumps({"event": event, "timeout_ms": int(timeout * 1000)}).encode() + b"\n"
            )
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # the worker is gone: reading its answer says how
        try:
            answer = self._read(proc, timeout)
        except _Closed as closed:
            seconds = time.perf_counter() - started
            message = self._died(proc, since, closed.garbled)
            self.close()
            return Call(seconds, failure=Failure("crash", message))
        seconds = time.perf_counter() - started
        if answer is None:
            self.close()
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
                    # A request the dead worker never read fails to flush once more here.
                    with contextlib.suppress(OSError):
                        stream.close()
            self.proc = None
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
