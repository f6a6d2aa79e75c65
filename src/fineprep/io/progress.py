"""A one-line progress display on stderr, for terminals only.

Redrawn at most ten times a second (a redraw per row would cost more than converting it) and
never written when stderr is a file or a pipe, where carriage returns would only litter logs.
On a terminal it appears only once a run has lasted half a second, so small inputs convert
without a flash of progress; ``--progress`` shows it from the start.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Rows done, rate and rejects; ``enabled=False`` makes every call a no-op."""

    INTERVAL = 0.1
    #: How long a run must last before the automatic (terminal) display appears.
    DELAY = 0.5

    def __init__(
        self, stream: TextIO | None = None, *, enabled: bool = True, delay: float = 0.0
    ) -> None:
        self.stream = stream
        self.enabled = enabled and stream is not None
        self.delay = delay
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    @classmethod
    def for_terminal(cls, stream: TextIO) -> Progress:
        """Enabled only when ``stream`` is an interactive terminal."""
        isatty = getattr(stream, "isatty", None)
        return cls(stream, enabled=bool(isatty and isatty()), delay=cls.DELAY)

    def update(self, rows: int, rejected: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.INTERVAL or now - self.start < self.delay:
            return
        self._last = now
        elapsed = max(now - self.start, 1e-9)
        line = f"converting: {rows:,} rows ({rows / elapsed:,.0f}/s), {rejected:,} rejected"
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
