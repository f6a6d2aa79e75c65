"""The process a local grader runs in: ``python -m fineprep.stages.grade.worker FILE:FUNCTION``.

It loads the handler once (like a warm Lambda), then answers one JSON line per batch on the
protocol stream. The handler's own prints go to stderr, so they can never corrupt the answer.
Runs with no fineprep state: what it knows arrives on stdin.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO


class LambdaContext:
    """The parts of Lambda's context object graders use."""

    def __init__(self, name: str, timeout_ms: int) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 128
        self.aws_request_id = "fineprep-grade"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{name}"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(spec: str) -> Any:
    file, _, function = spec.rpartition(":")
    path = Path(file)
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{file} is not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(path.resolve().parent))
    module_spec.loader.exec_module(module)
    handler = getattr(module, function, None)
    if not callable(handler):
        raise AttributeError(f"{file} has no function {function!r}")
    return handler


def where(exc: BaseException, file: str) -> str:
    """``grader.py line 12``: the innermost frame in the grader's file, else the innermost."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if Path(f.filename).resolve() == Path(file).resolve()]
    chosen = own or list(frames)
    if not chosen:
        return ""
    frame = chosen[-1]
    return f"{Path(frame.filename).name} line {frame.lineno}"


def _send(out: BinaryIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def main(spec: str) -> int:
    # The protocol keeps the real stdout; everything the grader prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    file = spec.rpartition(":")[0]
    try:
        handler = load_handler(spec)
    except BaseException as exc:
        _send(out, {"ready": False, "type": type(exc).__name__, "message": str(exc)[:500]})
        return 1
    _send(out, {"ready": True})
    name = Path(file).stem
    for line in sys.stdin.buffer:
        request = json.loads(line)
        context = LambdaContext(name, int(request["timeout_ms"]))
        try:
            result = handler(request["event"], context)
            body = json.dumps({"ok": True, "result": result})
        except BaseException as exc:  # the grader's failure is the finding, whatever it is
            body = json.dumps(
                {
                    "ok": False,
                    "type": type(exc).__name__,
                    "message": str(exc)[:500],
                    "where": where(exc, file),
                }
            )
        out.write(body.encode() + b"\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
