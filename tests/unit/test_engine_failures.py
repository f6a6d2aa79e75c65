"""Engines that cannot run say so in one line: a worker process that dies, a scheduler
address that is not one, a port that accepts connections and never answers."""

from __future__ import annotations

import os
import signal
import socket

import pytest

from fineprep.core.errors import ConfigError, FineprepError, InputError
from fineprep.engines.base import EngineOptions
from fineprep.engines.processes import ProcessEngine


def _die(item: int) -> int:
    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def test_a_worker_killed_mid_run_is_the_tools_error_not_a_traceback() -> None:
    engine = ProcessEngine(EngineOptions(jobs=2))
    try:
        with pytest.raises(FineprepError, match="a worker process of --jobs 2 died"):
            list(engine.map(_die, list(range(8))))
    finally:
        engine.close()


def test_a_scheduler_address_of_another_scheme_is_a_usage_error() -> None:
    pytest.importorskip("distributed")
    from fineprep.engines.dask import DaskEngine

    with pytest.raises(ConfigError, match="not a Dask scheduler address"):
        DaskEngine(EngineOptions(engine="dask", scheduler="bogus://x"))


def test_a_port_that_never_answers_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A listener that accepts and never speaks (a dashboard, a typo'd port) held the old
    client forever; the connection now has a deadline of its own."""
    pytest.importorskip("distributed")
    import fineprep.engines.dask as dask_engine

    monkeypatch.setattr(dask_engine, "CONNECT_SECONDS", 1)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        with pytest.raises(InputError, match="no Dask scheduler answered"):
            dask_engine.DaskEngine(EngineOptions(engine="dask", scheduler=address))


def _pid(_: int) -> int:
    return os.getpid()


def test_no_more_processes_than_partitions() -> None:
    engine = ProcessEngine(EngineOptions(jobs=300))
    try:
        pids = set(engine.map(_pid, [1, 2, 3]))
        assert engine._pool is not None and engine._pool._max_workers == 3  # type: ignore[attr-defined]
        assert os.getpid() not in pids
    finally:
        engine.close()


@pytest.mark.parametrize("value", ["1025", "99999999"])
def test_an_absurd_number_of_jobs_is_a_usage_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fineprep.engines.base import engine_options

    with pytest.raises(ConfigError, match="processes is more than 1,024"):
        engine_options(jobs=int(value))
    monkeypatch.setenv("FINEPREP_JOBS", value)
    with pytest.raises(ConfigError, match="FINEPREP_JOBS"):
        engine_options()
