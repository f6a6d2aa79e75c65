"""Test helpers: a real moto server process, and a fault-injecting HTTP proxy in front of it.

The upload and launch tests talk HTTP to these (boto3 with ``endpoint_url``), so request
signing, retries, connection handling and response parsing are the real botocore code paths,
not in-process mocks. The proxy forwards every request to moto and, for requests matching a
rule, answers 500/503 itself or drops the connection (before or after forwarding), which is
how the tests show that uploads survive transient failures or fail cleanly.
"""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_KEY_ID = "AKIAFINEPREPTEST0001"
FAKE_SECRET = "fineprepTESTsecret/doNotLeak+0123456789abcd"

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "content-length",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def aws_env(endpoint: str | None = None) -> dict[str, str]:
    """Fake credentials and an isolated AWS config for boto3 (nothing from the real machine)."""
    env = {
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent/fineprep-test-aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/fineprep-test-aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


class MotoServer:
    """``python -m moto.server`` on 127.0.0.1:<free port>, as a separate process."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not answer within the timeout")

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Fault:
    """Answer matching requests with ``action`` instead of (or after) forwarding them.

    ``action``: ``"500"``, ``"503"``, ``"drop"`` (close the connection without forwarding),
    ``"drop-after"`` (forward to moto, then close without answering: the server did the work,
    the client never hears) or ``"403-echo-key"`` (an error quoting the caller's key ID).
    ``skip`` matching requests pass first; then ``times`` are faulted.
    """

    method: str
    path: str  # regex searched in the path + query
    action: str
    times: int = 1
    skip: int = 0
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, target: str) -> bool:
        if method != self.method or not re.search(self.path, target):
            return False
        self.seen += 1
        if self.seen <= self.skip or self.fired >= self.times:
            return False
        self.fired += 1
        return True


@dataclass
class Logged:
    method: str
    target: str
    headers: dict[str, str]
    status: int | None
    fault: str | None


@dataclass
class ProxyState:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_ERROR_BODY = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        state = self.server.state
        body = self._body()
        headers = {k: v for k, v in self.headers.items()}
        with state.lock:
            fault = next((f for f in state.faults if f.matches(self.command, self.path)), None)
        action = fault.action if fault else None
        entry = Logged(self.command, self.path, headers, None, action)
        with state.lock:
            state.log.append(entry)
        if action == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        error = _ERROR_BODY.get(action or "")
        if action == "403-echo-key":  # a server that quotes the caller's access key ID back
            key_id = re.search(r"Credential=([^/]+)/", headers.get("Authorization", ""))
            quoted = key_id.group(1) if key_id else "?"
            error = (403, "InvalidAccessKeyId", f"The AWS Access Key Id {quoted} is unknown.")
        if error is not None:
            status, code, message = error
            payload = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error>"
            ).encode()
            entry.status = status
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        status, reason, out_headers, payload = self._forward(body)
        entry.status = status
        if action == "drop-after":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status, reason)
        length = str(len(payload))
        for key, value in out_headers:
            if key.lower() == "content-length" and self.command == "HEAD":
                length = value
            elif key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if action == "truncate" and payload:  # the promised length, half the bytes, then gone
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        up = urlsplit(self.server.state.upstream)
        conn = http.client.HTTPConnection(up.hostname or "127.0.0.1", up.port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, resp.reason, resp.getheaders(), payload
        finally:
            conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    state: ProxyState


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1:<free port> forwarding to ``upstream``."""

    def __init__(self, upstream: str) -> None:
        self.state = ProxyState(upstream)
        self.server = _ProxyServer(("127.0.0.1", 0), _Handler)
        self.server.state = self.state
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def add(self, method: str, path: str, action: str, *, times: int = 1, skip: int = 0) -> Fault:
        fault = Fault(method, path, action, times, skip)
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.log.clear()

    def requests(self, method: str | None = None, path: str = "") -> list[Logged]:
        with self.state.lock:
            return [
                e
                for e in self.state.log
                if (method is None or e.method == method) and re.search(path, e.target)
            ]


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------- pytest fixtures
# Import all three into a test module (``from tests.s3server import aws_fixture, ...``);
# tests then ask for ``aws`` (or ``proxy``, ``moto``).


@pytest.fixture(scope="session", name="moto")
def moto_fixture() -> Iterator[MotoServer]:
    """One moto server process for the session, killed at teardown."""
    with moto_server() as server:
        yield server


@pytest.fixture(name="proxy")
def proxy_fixture(moto: MotoServer) -> Iterator[FaultProxy]:
    """A fresh moto state and a fault proxy in front of it (no faults until a test adds some)."""
    moto.reset()
    with fault_proxy(moto.url) as p:
        yield p


@pytest.fixture(name="aws")
def aws_fixture(monkeypatch: pytest.MonkeyPatch, proxy: FaultProxy) -> FaultProxy:
    """Fake credentials in the environment; boto3 reaches moto through the proxy."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in aws_env().items():
        monkeypatch.setenv(name, value)
    return proxy


def s3_client(endpoint: str, region: str = "us-east-1") -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
    )


def make_bucket(endpoint: str, name: str, region: str = "us-east-1") -> Any:
    client = s3_client(endpoint, region)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return client


# ---------------------------------------------------------------------------- datasets


def conversation(i: int, image: str | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [
        {"text": f"Invoice {i} lists {i % 7 + 1} items for {i * 13} dollars. Is it large?"}
    ]
    if image:
        source = {"s3Location": {"uri": image, "bucketOwner": ACCOUNT_ID}}
        content.insert(0, {"image": {"format": "png", "source": source}})
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You classify invoices."}],
        "messages": [
            {"role": "user", "content": content},
            {"role": "assistant", "content": [{"text": "yes" if i % 2 else "no"}]},
        ],
    }


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def write_dataset(
    folder: Path, *, train: int = 40, validation: int = 10, model: str = "nova-lite"
) -> Path:
    """A folder as ``fineprep split`` writes it: data files, a sidecar and split.json."""
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "train.jsonl", [conversation(i) for i in range(train)])
    if validation:
        rows = [conversation(i) for i in range(1000, 1000 + validation)]
        write_jsonl(folder / "validation.jsonl", rows)
    meta = [
        {"id": str(i), "label": "yes" if i % 2 else "no", "source": f"inv.csv:row {i + 2}"}
        for i in range(train)
    ]
    write_jsonl(folder / "train.meta.jsonl", meta)
    split = {"parameters": {"model": model, "seed": 0, "validation": 0.2}, "counts": {}}
    (folder / "split.json").write_bytes(orjson.dumps(split))
    return folder


def run_cli(args: list[str]) -> Any:
    """Run the fineprep CLI in-process; ``.stdout``/``.stderr`` kept apart."""
    from click.testing import CliRunner

    from fineprep.cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)
