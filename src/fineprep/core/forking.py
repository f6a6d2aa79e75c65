"""Starting worker processes so that no signal lands between a fork and the worker's handlers.

A forked worker begins with its parent's signal handlers; until its initializer replaces them,
a Ctrl-C or a SIGTERM sent to the process group (or a pool stopping its workers) runs the
parent's handler in the child, in the middle of the interpreter's own after-fork work, and can
leave the worker stuck. So pools fork with SIGINT and SIGTERM blocked: the parent keeps them
pending and handles them the moment the pool has started, and each worker unblocks them once
its own handlers are in place (a Ctrl-C pending there is then ignored, as the worker ignores
every Ctrl-C: the parent answers it and stops the pool).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

_HELD = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM blocked in this thread (and in the processes it forks) inside."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: workers are spawned, not forked
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def worker_signals() -> None:
    """A worker's handlers (Ctrl-C ignored, SIGTERM ends it), then the held signals let in."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
