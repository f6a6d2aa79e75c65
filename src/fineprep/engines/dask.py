"""The ``dask`` engine: partitions run as tasks of an existing Dask distributed cluster.

``distributed`` is imported only here (the ``fineprep[dask]`` extra). The workers need
fineprep installed and read their own partitions (local paths they can see, or ``s3://``
objects with byte-range reads); only the partitions' descriptions and their results travel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from fineprep.core.errors import InputError
from fineprep.engines.base import EngineOptions

T = TypeVar("T")
R = TypeVar("R")


class DaskEngine:
    name = "dask"

    def __init__(self, options: EngineOptions) -> None:
        from distributed import Client

        self.scheduler = options.scheduler
        try:
            self._client: Any = Client(  # type: ignore[no-untyped-call]
                options.scheduler, timeout=10, set_as_default=False
            )
        except OSError as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {options.scheduler}: {exc}",
                hint="start it with `dask scheduler`, or check --scheduler",
            ) from None
        threads: dict[str, int] = self._client.nthreads()  # type: ignore[no-untyped-call]
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
