"""The ``dask`` engine: partitions run as tasks of an existing Dask distributed cluster.

``distributed`` is imported only here (the ``fineprep[dask]`` extra). The workers need
fineprep installed and read their own partitions (local paths they can see, or ``s3://``
objects with byte-range reads); only the partitions' descriptions and their results travel.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from fineprep.core.errors import ConfigError, InputError
from fineprep.engines.base import EngineOptions
from fineprep.io.outputs import url_scheme

T = TypeVar("T")
R = TypeVar("R")


class DaskEngine:
    name = "dask"

    def __init__(self, options: EngineOptions) -> None:
        self.scheduler = options.scheduler
        self._client: Any = _connect(str(options.scheduler))
        threads: dict[str, int] = self._client.nthreads()
        self.workers = max(1, sum(threads.values()))

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if not items:
            return
        # pure=False: the same description read twice (a changed object) is run twice.
        futures = self._client.map(fn, list(items), pure=False)
        for future in futures:
            result: R = future.result()
            future.release()
            yield result

    def close(self) -> None:
        self._client.close()


#: Address schemes a Dask scheduler listens on.
SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")
#: How long a scheduler has to answer, all told (Client's own timeout does not bound a peer
#: that accepts the connection and never speaks, such as the dashboard's HTTP port).
CONNECT_SECONDS = 30


def _connect(scheduler: str) -> Any:
    """A client of the scheduler at ``scheduler``, or one line saying why there is none: a
    malformed address, no answer, or something that is not a Dask scheduler."""
    if url_scheme(scheduler) not in SCHEMES:
        raise ConfigError(
            f"--scheduler {scheduler!r}: not a Dask scheduler address",
            hint="use tcp://HOST:PORT, the address `dask scheduler` prints",
        )
    from distributed import Client

    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = Client(  # type: ignore[no-untyped-call]
                scheduler, timeout=10, set_as_default=False
            )
        except Exception as exc:  # any failure to talk to it: reported below, in one line
            box["error"] = exc
            _quietly_collect()

    thread = threading.Thread(target=connect, name="fineprep-dask-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS)
    hint = "start it with `dask scheduler`, or check --scheduler: its port, not the dashboard's"
    if thread.is_alive():
        raise InputError(
            f"no Dask scheduler answered at {scheduler} within {CONNECT_SECONDS} s", hint=hint
        )
    if "error" in box:
        exc = box["error"]
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {reason}", hint=hint)
    return box["client"]


def _quietly_collect() -> None:
    """A client that failed half-way complains when collected ("Exception ignored in
    Client.__del__"); collect it now, with that complaint silenced."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous
