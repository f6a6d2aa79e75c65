"""A small driver for a real headless Chromium over the DevTools protocol, on a pipe.

``--remote-debugging-pipe`` makes Chromium read commands on fd 3 and write replies on fd 4,
each a JSON message ended by a NUL byte: no network port, no WebSocket library, nothing but
the browser the system already has. The driver opens a page, clicks at elements' positions with
real mouse events, types with real key input, reads values back, sets the viewport, saves
screenshots and lets downloads land in a folder.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, binary: str, profile: Path, timeout: float = 60.0) -> None:
        to_child_r, to_child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 20) for fd in os.pipe())
        from_child_r, from_child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 20) for fd in os.pipe())

        args = [
            "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--hide-scrollbars",
            f"--user-data-dir={profile}", "about:blank",
        ]  # fmt: skip
        # bash (which, unlike dash, takes two-digit fds) puts the pipe ends on fds 3 and 4.
        wire = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w}'
        self.proc = subprocess.Popen(
            ["bash", "-c", wire, binary, *args],
            pass_fds=(to_child_r, from_child_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.out = os.fdopen(to_child_w, "wb", buffering=0)
        self.inp = os.fdopen(from_child_r, "rb", buffering=0)
        self.timeout = timeout
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.inp.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- protocol ----------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise CDPError("no reply from the browser")
            chunk = self.inp.read(65536)
            if not chunk:
                raise CDPError("the browser closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        doc: dict[str, Any] = json.loads(message)
        return doc

    def send(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        self.out.write(json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_event(self, method: str, **match: Any) -> dict[str, Any]:
        while True:
            for i, e in enumerate(self.events):
                params = e.get("params", {})
                if e.get("method") == method and all(params.get(k) == v for k, v in match.items()):
                    del self.events[: i + 1]
                    return e
            self.events.append(self._read())

    # -- page --------------------------------------------------------------------------------
    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        self.viewport(width, height)
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def viewport(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=width < 600,
        )  # fmt: skip

    def js(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise CDPError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.js(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
            "return [r.left+r.width/2, r.top+r.height/2];})()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, text: str) -> None:
        self.send("Input.insertText", text=text)

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a <select> as the keyboard does: focus, set, fire ``change``."""
        self.js(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});e.focus();"
            f"e.value={json.dumps(value)};"
            "e.dispatchEvent(new Event('change',{bubbles:true}));})()"
        )

    def screenshot(self, path: Path, full_page: bool = True) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            w, h = self.js(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": min(h, 16000), "scale": 1}
        png = base64.b64decode(self.send("Page.captureScreenshot", **params)["data"])
        path.write_bytes(png)
        return png

    def allow_downloads(self, folder: Path) -> None:
        self.send(
            "Browser.setDownloadBehavior", session=False, behavior="allow",
            downloadPath=str(folder), eventsEnabled=True,
        )  # fmt: skip

    def wait_download(self) -> None:
        self.wait_event("Browser.downloadProgress", state="completed")
