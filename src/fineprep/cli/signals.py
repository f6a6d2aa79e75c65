"""Ctrl-C and SIGTERM end fineprep the same way at any moment: one line, a fixed exit code.

While a command runs, SIGINT raises ``KeyboardInterrupt`` and SIGTERM raises
:class:`Terminated` (a ``KeyboardInterrupt``, so every cleanup written for Ctrl-C, such as the
atomic writers removing their temporary files, runs for SIGTERM too). Before a command starts
(imports) and after it has finished (interpreter shutdown) there is nothing to clean up, so a
signal then prints the same line and exits at once instead of showing a traceback from
whatever import or finaliser it happened to interrupt.

Exit codes follow the shell's convention, 128 + the signal number: 130 for Ctrl-C (SIGINT),
143 for SIGTERM.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

INTERRUPTED = 130
TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program was, like Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _exit_now(signum: int, frame: FrameType | None) -> None:
    code = TERMINATED if signum == signal.SIGTERM else INTERRUPTED
    os.write(2, f"\nfineprep: {'terminated' if code == TERMINATED else 'interrupted'}\n".encode())
    os._exit(code)


def _set(handlers: dict[int, Any]) -> dict[int, Any]:
    """Install ``handlers`` (main thread only) and return the ones they replaced."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}


def exit_at_once() -> dict[int, Any]:
    """Start-up and shutdown: a signal prints one line and exits immediately."""
    return _set({signal.SIGINT: _exit_now, signal.SIGTERM: _exit_now})


def raise_in_command() -> dict[int, Any]:
    """While a command runs: signals become exceptions so cleanups run."""
    return _set({signal.SIGINT: signal.default_int_handler, signal.SIGTERM: _raise_terminated})


def restore(previous: dict[int, Any]) -> None:
    _set({sig: handler for sig, handler in previous.items() if handler is not None})


def describe(exc: KeyboardInterrupt) -> tuple[str, int]:
    """The line to print and the exit code for an interruption."""
    if isinstance(exc, Terminated):
        return "fineprep: terminated", TERMINATED
    return "fineprep: interrupted", INTERRUPTED
