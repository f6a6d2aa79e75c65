"""The ``processes`` engine: a pool of ``--jobs`` local processes (not threads: the record
work is Python code that holds the interpreter lock).

Workers are forked where the platform can (they start in milliseconds with every module
already imported) and spawned elsewhere. The pool starts on the first ``map`` and ends with
``close``.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from fineprep.core.errors import FineprepError
from fineprep.core.forking import signals_held, worker_signals
from fineprep.engines.base import EngineOptions

T = TypeVar("T")
R = TypeVar("R")


class ProcessEngine:
    name = "processes"

    def __init__(self, options: EngineOptions) -> None:
        self.workers = options.jobs
        self._pool: Executor | None = None

    def _executor(self, items: int) -> Executor:
        if self._pool is None:
            method = "fork" if sys.platform == "linux" else "spawn"
            self._pool = ProcessPoolExecutor(
                # a process per partition at most: more would start only to wait
                max_workers=max(1, min(self.workers, items)),
                mp_context=multiprocessing.get_context(method),
                # A terminal's Ctrl-C reaches the whole process group: the command that owns
                # the pool answers it (one line, exit 130) and stops the workers, which stay
                # silent.
                initializer=worker_signals,
            )
        return self._pool

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Results in order, each as soon as it and those before it are done (the caller
        merges partition k while later ones run)."""
        if len(items) <= 1:
            return (fn(item) for item in items)
        with signals_held():  # the pool forks its workers on the first submit
            return _surviving(self._executor(len(items)).map(fn, items), self.workers)

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if sys.exc_info()[0] is not None:  # interrupted or failed: stop the workers now
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


def _surviving(results: Iterator[R], workers: int) -> Iterator[R]:
    """The pool's results; a worker that died (killed, out of memory) is the tool's error,
    one line and exit 2, not a traceback asking for a bug report."""
    try:
        yield from results
    except BrokenProcessPool:
        raise FineprepError(
            f"a worker process of --jobs {workers} died before its partition was done "
            "(killed by a signal, or out of memory); nothing was written",
            hint="run again, with fewer --jobs or --jobs 1 if memory is short",
        ) from None
