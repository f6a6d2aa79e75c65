"""The engine registry and the options that choose one (``--jobs``, ``--engine``,
``--scheduler``, the ``[engine]`` config section, ``FINEPREP_JOBS``).

An engine maps a top-level function over a list of picklable items and returns the results in
the items' order. ``local`` runs them here, ``processes`` in a pool of ``jobs`` processes, and
``dask`` as tasks of an existing Dask distributed cluster (imported only when chosen).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Protocol, TypeVar

from fineprep.core.errors import ConfigError
from fineprep.core.registry import Registry

T = TypeVar("T")
R = TypeVar("R")

#: Inputs smaller than this stay in one process: starting workers costs more than a
#: pre-commit-sized file takes to check.
DEFAULT_MIN_BYTES = 8 << 20
#: Partitions are at least this big (smaller ones cost more to start than to run).
MIN_PARTITION_BYTES = 1 << 20
#: ... and at most this big, so that a partition's findings and state stay small in memory
#: (a worker holds one partition's at a time) and the workers share the tail evenly.
MAX_PARTITION_BYTES = 32 << 20


class Engine(Protocol):
    """Runs ``fn`` over ``items``; results come back in the items' order."""

    name: str
    #: How many partitions run at once (what the stage cuts its inputs for).
    workers: int

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EngineSpec:
    name: str
    #: ``module:factory``; the factory takes :class:`EngineOptions` and returns an Engine.
    factory: str
    description: str
    #: The extra that installs what it needs (None: nothing beyond fineprep).
    extra: str | None = None


ENGINES: Registry[EngineSpec] = Registry("engine")
ENGINES.add("local", EngineSpec("local", "fineprep.engines.local:LocalEngine", "this process"))
ENGINES.add(
    "processes",
    EngineSpec(
        "processes", "fineprep.engines.processes:ProcessEngine", "a pool of local processes"
    ),
)
ENGINES.add(
    "dask",
    EngineSpec(
        "dask",
        "fineprep.engines.dask:DaskEngine",
        "tasks on a Dask distributed cluster (--scheduler tcp://HOST:PORT)",
        extra="dask",
    ),
)


@dataclass(frozen=True)
class EngineOptions:
    """What the user asked for, resolved: option over environment over config over default."""

    engine: str = "processes"
    jobs: int = 1
    scheduler: str | None = None
    #: Inputs below this many bytes run in this process whatever the engine.
    min_bytes: int = DEFAULT_MIN_BYTES
    #: Partitions are at least this many bytes.
    partition_bytes: int = MIN_PARTITION_BYTES

    @property
    def parallel(self) -> bool:
        return self.engine == "dask" or (self.engine == "processes" and self.jobs > 1)


#: More local processes than this is a typo, not a plan (each is a Python interpreter).
MAX_JOBS = 1024


def _positive(value: Any, where: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}: {value!r} is not a whole number", hint="use 1 or more"
        ) from None
    if isinstance(value, bool) or number < 1:
        raise ConfigError(f"{where}: {value!r} must be 1 or more")
    if number > MAX_JOBS:
        raise ConfigError(
            f"{where}: {value!r} processes is more than {MAX_JOBS:,}",
            hint=f"this machine has {available_cores()} cores; use the Dask engine for a cluster",
        )
    return number


def engine_options(
    section: dict[str, Any] | None = None,
    *,
    jobs: int | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
) -> EngineOptions:
    """Options of the ``[engine]`` section overridden by ``FINEPREP_JOBS`` and the command
    line. ``jobs`` defaults to the machine's cores (the processes this one may use)."""
    section = section or {}
    resolved = section.get(RESOLVED)
    if isinstance(resolved, EngineOptions):
        return resolved
    env = os.environ.get("FINEPREP_JOBS")
    if jobs is not None:
        n = _positive(jobs, "--jobs")
    elif env:
        n = _positive(env, "FINEPREP_JOBS")
    elif "jobs" in section:
        n = _positive(section["jobs"], "engine.jobs")
    else:
        n = available_cores()
    name = engine or section.get("name") or ("dask" if scheduler else "processes")
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {name!r}", hint=f"use one of {', '.join(ENGINES)}")
    where = scheduler or section.get("scheduler")
    if name == "dask" and not where:
        raise ConfigError(
            "the dask engine needs a scheduler",
            hint="pass --scheduler tcp://HOST:PORT or set [engine] scheduler",
        )
    sizes = []
    for key, default in (
        ("min-bytes", DEFAULT_MIN_BYTES),
        ("partition-bytes", MIN_PARTITION_BYTES),
    ):
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"engine.{key}: {value!r} must be a whole number of bytes >= 1")
        sizes.append(value)
    return EngineOptions(name, n, where, sizes[0], sizes[1])


#: The key under which the command line leaves its resolved options in the ``[engine]`` section.
RESOLVED = "resolved-options"


def resolve_into(
    section: dict[str, Any],
    *,
    jobs: int | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """The ``[engine]`` section with the command line's options resolved into it, for the
    stages to read (``engine_options`` of the result returns them unchanged)."""
    options = engine_options(section, jobs=jobs, engine=engine, scheduler=scheduler)
    return {**section, RESOLVED: options}


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def open_engine(options: EngineOptions) -> Engine:
    """The engine ``options`` name; its module is imported only now."""
    spec = ENGINES.get(options.engine)
    module, _, attr = spec.factory.partition(":")
    try:
        factory = getattr(import_module(module), attr)
    except ImportError as exc:
        if spec.extra is None:
            raise
        raise ConfigError(
            f"the {spec.name} engine needs {exc.name or 'a missing package'}",
            hint=f"pip install 'fineprep[{spec.extra}]'",
        ) from None
    engine: Engine = factory(options)
    return engine


class EngineHolder:
    """Opens the chosen engine on first use (a run of small files never starts a pool or
    connects to a cluster) and closes it once."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self._engine: Engine | None = None

    def get(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(self.options)
        return self._engine

    @property
    def workers(self) -> int:
        """Partitions worth cutting: the pool's size, or the cluster's threads."""
        if self.options.engine == "processes":
            return self.options.jobs
        return self.get().workers

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
