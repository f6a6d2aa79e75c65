"""A fake AWS Lambda endpoint for the grader tests: the Invoke REST API on 127.0.0.1.

moto's Lambda runs functions in Docker, which test machines lack, so this small server speaks
``POST /2015-03-31/functions/{FunctionName}/invocations`` itself and runs the named Python
handler in-process, as Lambda would: a raised exception is a 200 response with
``X-Amz-Function-Error: Unhandled`` and Lambda's ``{errorMessage, errorType, stackTrace}``
body; a handler that outlasts the function's timeout gets Lambda's "Task timed out" error. An
unknown function is a 404 ``ResourceNotFoundException``. boto3 reaches it with ``endpoint_url``,
so signing, serialisation and error parsing are botocore's real code paths.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

PREFIX = "/2015-03-31/functions/"


@dataclass
class Function:
    handler: Any
    timeout: float


@dataclass
class FakeLambda:
    url: str
    functions: dict[str, Function] = field(default_factory=dict)
    calls: list[Any] = field(default_factory=list)
    #: Errors Lambda itself answers with, one per coming Invoke, before the function runs:
    #: (HTTP status, x-amzn-ErrorType, body), e.g. a throttle (429, TooManyRequestsException).
    refusals: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    refused: int = 0

    def add(self, name: str, path: Path, function: str = "lambda_handler", timeout: float = 3.0):
        spec = importlib.util.spec_from_file_location(f"fake_lambda_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.functions[name] = Function(getattr(module, function), timeout)
        return f"arn:aws:lambda:us-west-2:111122223333:function:{name}"


def _name(path: str) -> str:
    target = unquote(path[len(PREFIX) :].split("/invocations", 1)[0])
    return target.rsplit(":function:", 1)[-1].split(":", 1)[0]


def _handler_for(fake: FakeLambda) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the calls, not a log."""

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if not self.path.startswith(PREFIX) or "/invocations" not in self.path:
                self._send(404, {"message": "unknown path"})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            name = _name(self.path)
            function = fake.functions.get(name)
            if function is None:
                self._send(
                    404,
                    {"Type": "User", "message": f"Function not found: {name}"},
                    {"x-amzn-ErrorType": "ResourceNotFoundException"},
                )
                return
            if fake.refusals:
                status, kind, info = fake.refusals.pop(0)
                fake.refused += 1
                headers = {"x-amzn-ErrorType": kind}
                if "retryAfterSeconds" in info:  # a header in Lambda's API, not the body
                    headers["Retry-After"] = str(info.pop("retryAfterSeconds"))
                self._send(status, {"Type": "User", **info}, headers)
                return
            event = json.loads(body)
            fake.calls.append(event)
            outcome: dict[str, Any] = {}

            def run() -> None:
                try:
                    outcome["result"] = function.handler(event, None)
                except Exception as exc:
                    outcome["error"] = {
                        "errorMessage": str(exc),
                        "errorType": type(exc).__name__,
                        "stackTrace": traceback.format_tb(exc.__traceback__),
                    }

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            worker.join(function.timeout)
            unhandled = {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"}
            if worker.is_alive():
                message = f"Task timed out after {function.timeout:.2f} seconds"
                self._send(200, {"errorMessage": message}, unhandled)
            elif "error" in outcome:
                self._send(200, outcome["error"], unhandled)
            else:
                self._send(200, outcome["result"], {"X-Amz-Executed-Version": "$LATEST"})

    return Handler


@contextmanager
def fake_lambda() -> Iterator[FakeLambda]:
    """A fake Lambda endpoint on a free port of 127.0.0.1, stopped on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(FakeLambda("")))
    fake = FakeLambda(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler_for(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fake_lambda_with_keys(monkeypatch: Any) -> Iterator[FakeLambda]:
    """The body of a ``lam`` fixture: a fake Lambda and made-up AWS keys for botocore to sign
    with (``lam = pytest.fixture(fake_lambda_with_keys, name="lam")`` in a test module)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFINEPREPTEST0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fineprepTESTsecret")
    with fake_lambda() as fake:
        yield fake
