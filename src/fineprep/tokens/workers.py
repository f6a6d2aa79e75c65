"""Token counts computed beside the checks, in worker processes, collected at the end of a run.

Tokenizing costs ~20x parsing and tiktoken holds the GIL, so threads cannot overlap it with the
checks; processes can. The checks hand each record that needs a count to :class:`DeferredCounts`
and get a ticket back; texts go to a worker in batches of about 1 MB, the checks go on, and the
counts are read by ticket when the run finishes. When every worker is busy the main process
counts the next batch itself rather than wait, so tokenizing never runs on fewer cores than it
could. Results are the same counts as inline counting (tested), and any
worker failure falls back to counting the batch inline.

``FINEPREP_JOBS`` sets the number of processes (main included); ``1`` counts inline.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from fineprep.core.forking import signals_held, worker_signals

if TYPE_CHECKING:
    from fineprep.tokens.source import TokenSource

Parts = tuple[list[str], list[str]]
#: A record's counts: input (estimate, low, high) then output (estimate, low, high).
Counts = tuple[int, int, int, int, int, int]

#: Texts per batch sent to a worker (bytes): ~30 ms of tokenizing, which amortises the pipe and
#: lets a worker start on a small file's long records while the checks read the rest.
BATCH_BYTES = 1 << 20
BATCH_RECORDS = 512
#: Batches in flight per worker before the main process counts one itself.
IN_FLIGHT = 2


def jobs() -> int:
    """Processes to use (main included): ``FINEPREP_JOBS`` or the CPUs this process may use,
    never more than those CPUs (counting is pure computation: a process more than the cores
    only waits)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    value = os.environ.get("FINEPREP_JOBS", "").strip()
    if value.isdigit():
        return max(1, min(int(value), cores))
    return cores


def _worker_init(source: TokenSource, parent: int) -> None:
    """Ctrl-C is the main process's to handle (it stops the workers): no worker tracebacks.
    The encoding loads here, before the first batch arrives; a failure to load it surfaces
    when a batch is counted (inline, with the clear error). ``parent`` is the main process's
    PID as it was before the fork: asked here, a parent killed in between would be missed."""
    worker_signals()
    if os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    from fineprep.tokens.encoding import text_counter

    try:
        text_counter(source.tokenizer, source.file)
    except Exception:
        pass


def _exit_with_parent(parent: int) -> None:
    """A killed main process (SIGKILL, OOM) cannot stop its workers, and a forked worker holds
    both ends of its task pipe, so it would wait forever: it leaves when its parent is gone."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def count_batch(source: TokenSource, batch: list[Parts]) -> list[Counts]:
    """Input and output counts of each record of ``batch`` (runs in a worker, or inline)."""
    from fineprep.tokens.encoding import text_counter
    from fineprep.tokens.estimate import count_range

    count = text_counter(source.tokenizer, source.file)
    return [
        count_range(count, source, ins) + count_range(count, source, outs) for ins, outs in batch
    ]


class DeferredCounts:
    """Tickets for token counts that are computed in the background and read at the end."""

    def __init__(self, source: TokenSource, workers: int | None = None) -> None:
        self.source = source
        self.workers = max(0, (jobs() if workers is None else workers) - 1)
        self.results: list[Counts] = []
        self._next = 0
        self._batch: list[Parts] = []
        self._batch_bytes = 0
        self._batch_start = 0
        self._pending: list[tuple[int, list[Parts], Future[list[Counts]]]] = []
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False

    def add(self, inputs: list[str], outputs: list[str], size: int) -> int:
        """Queue one record's texts (``size`` bytes); returns the ticket of its counts."""
        ticket = self._next
        self._next += 1
        if not self._batch:
            self._batch_start = ticket
        self._batch.append((inputs, outputs))
        self._batch_bytes += size
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_RECORDS:
            self._flush()
        return ticket

    def _flush(self) -> None:
        batch, start = self._batch, self._batch_start
        self._batch, self._batch_bytes = [], 0
        if not batch:
            return
        pool = self._get_pool()
        self._collect(block=False)
        if pool is None or len(self._pending) >= IN_FLIGHT * self.workers:
            self._store(start, count_batch(self.source, batch))
            return
        try:
            future = pool.submit(count_batch, self.source, batch)
        except Exception:  # broken pool: count here
            self._broken = True
            self._store(start, count_batch(self.source, batch))
            return
        self._pending.append((start, batch, future))

    def _collect(self, block: bool) -> None:
        keep = []
        for start, batch, future in self._pending:
            if not block and not future.done():
                keep.append((start, batch, future))
                continue
            try:
                counts = future.result()
            except Exception:
                # A worker died or could not load the encoding: count inline, which raises the
                # same clear error (e.g. TokenizerUnavailable) if the encoding is the problem.
                self._broken = True
                counts = count_batch(self.source, batch)
            self._store(start, counts)
        self._pending = keep

    def _store(self, start: int, counts: list[Counts]) -> None:
        if len(self.results) < start + len(counts):
            self.results.extend([(0,) * 6] * (start + len(counts) - len(self.results)))
        self.results[start : start + len(counts)] = counts

    def _get_pool(self) -> ProcessPoolExecutor | None:
        if self._pool is None and self.workers and not self._broken:
            import multiprocessing

            # fork starts in milliseconds and shares the loaded modules, but only a process
            # without threads can fork safely; elsewhere spawn.
            forkable = sys.platform.startswith("linux") and threading.active_count() == 1
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork" if forkable else "spawn"),
                initializer=_worker_init,
                initargs=(self.source, os.getpid()),
            )
            # Workers start (and load the encoding) now, while the checks read on.
            with signals_held():
                for _ in range(self.workers):
                    self._pool.submit(os.getpid)
        return None if self._broken else self._pool

    def finish(self) -> Callable[[int], Counts]:
        """Wait for every count; returns ``ticket -> counts``."""
        self._flush()
        self._collect(block=True)
        self.close()
        results = self.results
        return results.__getitem__

    def close(self) -> None:
        """Stop the workers (also on errors: a run that raises leaves no processes behind)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
