"""A fake Bedrock Runtime endpoint for the augment tests: the Converse REST API on 127.0.0.1.

moto does not implement ``bedrock-runtime``, so this small server speaks
``POST /model/{modelId}/converse`` itself: it records each request and answers with what the
test's ``respond`` function returns, a Converse response (``output.message.content``,
``stopReason``, ``usage``) or an AWS error (status, ``x-amzn-ErrorType`` header and
``{"message": ...}`` body, as the service sends them). boto3 reaches it with ``endpoint_url``,
so signing, serialisation, error parsing and retries are botocore's real code paths.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

#: respond(model_id, request body, call number) -> (status, body, headers)
Respond = Callable[[str, dict[str, Any], int], tuple[int, dict[str, Any], dict[str, str]]]


def reply(
    text: str, stop: str = "end_turn", tokens: tuple[int, int] = (40, 12)
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A successful Converse response with ``text`` as the assistant's answer."""
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 7},
    }
    return 200, body, {}


def error(status: int, code: str, message: str = "") -> tuple[int, dict[str, Any], dict[str, str]]:
    """An AWS error response as Bedrock Runtime sends it."""
    return (
        status,
        {"message": message or code},
        {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"},
    )


def prompt_of(body: dict[str, Any]) -> str:
    """The text a Converse request asks to be paraphrased (the last user text block)."""
    return str(body["messages"][-1]["content"][-1]["text"])


@dataclass
class FakeConverse:
    url: str
    respond: Respond
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _handler_for(fake: FakeConverse) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the calls, not a log."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not (self.path.startswith("/model/") and self.path.endswith("/converse")):
                status, out, headers = error(404, "UnknownOperationException", self.path)
            else:
                model = unquote(self.path[len("/model/") : -len("/converse")])
                fake.calls.append((model, body))
                status, out, headers = fake.respond(model, body, len(fake.calls))
            data = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def fake_converse(respond: Respond) -> Iterator[FakeConverse]:
    """A fake Converse endpoint on a free port of 127.0.0.1, stopped on exit."""
    fake = FakeConverse("", respond)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
