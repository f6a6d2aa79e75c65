"""Progress on stderr, for terminals only: percent, ETA and rate while a long run works.

Redrawn at most ten times a second (a redraw per row would cost more than converting it) and
never written when stderr is a file or a pipe, where carriage returns would only litter logs.
On a terminal it appears only once a run has lasted half a second, so small inputs finish
without a flash of progress; ``--progress`` shows it from the start (and on a pipe too).

How far a run has got is measured without any help from the stage doing the work: an
:class:`InputMeter` reads the file positions of the inputs the process has open (Linux
``/proc/self/fdinfo``; elsewhere the display shows counts and rate without a percentage).
So check, split and convert need no progress hooks, and the display costs them nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TextIO

_PROC_FD = Path("/proc/self/fd")


class InputMeter:
    """Bytes read so far from a set of input files (``passes``: how often each is read)."""

    def __init__(self, paths: Iterable[str], passes: int = 1) -> None:
        self.sizes: dict[str, int] = {}
        for path in paths:
            self._add(Path(path))
        self.total = sum(self.sizes.values()) * passes
        self.done = 0
        self._last: dict[tuple[str, str], int] = {}
        self.available = _PROC_FD.is_dir() and self.total > 0

    def _add(self, path: Path) -> None:
        try:
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    if child.is_file():
                        self._add(child)
            elif path.is_file():
                self.sizes[os.path.realpath(path)] = path.stat().st_size
        except OSError:
            pass

    def poll(self) -> int:
        """Add what was read since the last poll; return the bytes read so far."""
        if not self.available:
            return 0
        seen: dict[tuple[str, str], int] = {}
        try:
            fds = os.listdir(_PROC_FD)  # noqa: PTH208 - names only, polled ten times a second
        except OSError:
            return self.done
        for fd in fds:
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")  # noqa: PTH115 - hot path
                if target not in self.sizes:
                    continue
                info = Path(f"/proc/self/fdinfo/{fd}").read_text()
            except OSError:
                continue
            pos = int(info.split("pos:", 1)[1].split()[0]) if "pos:" in info else 0
            key = (fd, target)
            seen[key] = pos
            self.done += max(0, pos - self._last.get(key, 0))
        self._last = seen
        self.done = min(self.done, self.total)
        return self.done


def eta(elapsed: float, fraction: float) -> str:
    """``"0:05 left"`` from the time so far and the share done (empty while unknowable)."""
    if fraction < 0.01 or elapsed < 1.0:
        return ""
    left = int(elapsed * (1 - fraction) / fraction)
    hours, rest = divmod(left, 3600)
    clock = (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
    )
    return f"{clock} left"


def measured(meter: InputMeter | None, elapsed: float) -> str:
    """``"45% of 27.0 MB, 0:05 left"`` (empty without a usable meter)."""
    if meter is None or not meter.available:
        return ""
    done = meter.poll()
    fraction = min(done / meter.total, 0.99)
    parts = [f"{fraction:.0%} of {meter.total / 1e6:,.1f} MB", eta(elapsed, fraction)]
    return ", ".join(p for p in parts if p)


def _interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Rows done, rate and rejects (convert); ``enabled=False`` makes every call a no-op."""

    INTERVAL = 0.1
    #: How long a run must last before the automatic (terminal) display appears.
    DELAY = 0.5

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool = True,
        delay: float = 0.0,
        meter: InputMeter | None = None,
    ) -> None:
        self.stream = stream
        self.enabled = enabled and stream is not None
        self.delay = delay
        self.meter = meter
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    @classmethod
    def for_terminal(cls, stream: TextIO, meter: InputMeter | None = None) -> Progress:
        """Enabled only when ``stream`` is an interactive terminal."""
        return cls(stream, enabled=_interactive(stream), delay=cls.DELAY, meter=meter)

    def update(self, rows: int, rejected: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.INTERVAL or now - self.start < self.delay:
            return
        self._last = now
        elapsed = max(now - self.start, 1e-9)
        line = f"converting: {rows:,} rows ({rows / elapsed:,.0f}/s), {rejected:,} rejected"
        where = measured(self.meter, elapsed)
        line += f", {where}" if where else ""
        assert self.stream is not None
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the line so the summary starts on a clean one."""
        if self.enabled and self._drawn and self.stream is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


class Ticker:
    """A progress line redrawn by a thread, for stages that report nothing while they work
    (check, split): ``with Ticker.for_terminal(sys.stderr, "checking", meter): ...``."""

    INTERVAL = 0.2

    def __init__(
        self,
        stream: TextIO,
        label: str,
        meter: InputMeter,
        *,
        enabled: bool = True,
        delay: float = 0.0,
    ) -> None:
        self.stream = stream
        self.label = label
        self.meter = meter
        self.enabled = enabled
        self.delay = delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    @classmethod
    def for_terminal(cls, stream: TextIO, label: str, meter: InputMeter) -> Ticker:
        return cls(stream, label, meter, enabled=_interactive(stream), delay=Progress.DELAY)

    def __enter__(self) -> Ticker:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="fineprep-progress")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _run(self) -> None:
        start = time.monotonic()
        if self._stop.wait(self.delay):
            return
        while True:
            elapsed = time.monotonic() - start
            where = measured(self.meter, elapsed) or f"{elapsed:,.0f} s"
            self.stream.write(f"\r{self.label}: {where}\x1b[K")
            self.stream.flush()
            self._drawn = True
            if self._stop.wait(self.INTERVAL):
                return
