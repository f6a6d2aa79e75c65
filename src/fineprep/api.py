"""The Python API: the CLI's commands as functions, returning values instead of exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fineprep.config import Settings, load_settings
from fineprep.context import CheckResult


def check(
    paths: str | Path | list[str | Path],
    *,
    model: str | None = None,
    format: str | None = None,
    config: str | Path | None = None,
    validation: list[str | Path] | None = None,
    test: list[str | Path] | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> CheckResult:
    """Check JSONL files; ``options`` are Settings fields (``select=["T"]``, ``limits={...}``).

    >>> result = check("train.jsonl", model="nova-lite")  # doctest: +SKIP
    >>> result.valid, result.by_code()                     # doctest: +SKIP
    """
    from fineprep.engine import check_files

    if settings is None:
        settings = load_settings(
            config,
            isolated=config is None and bool(options.pop("isolated", False)),
            overrides={"model": model, "format": format, **options},
        )
    items = [paths] if isinstance(paths, (str, Path)) else paths
    return check_files(
        [str(p) for p in items],
        settings,
        validation=[str(p) for p in validation or []],
        test=[str(p) for p in test or []],
    )


def convert(*args: Any, **kwargs: Any) -> Any:
    """Convert sources to Bedrock JSONL: see :func:`fineprep.converters.pipeline.convert`."""
    from fineprep.converters.pipeline import convert as _convert

    return _convert(*args, **kwargs)


def split(*args: Any, **kwargs: Any) -> Any:
    """Split a dataset into train/validation(/test): see :func:`fineprep.splitter.split`."""
    from fineprep.splitter import split as _split

    return _split(*args, **kwargs)


def run(*args: Any, **kwargs: Any) -> Any:
    """The whole pipeline from one config: see :func:`fineprep.pipeline.run`."""
    from fineprep.pipeline import run as _run

    return _run(*args, **kwargs)


def upload(*args: Any, **kwargs: Any) -> Any:
    """Check, upload and verify a dataset; write the manifest and job request: see
    :func:`fineprep.s3.upload`."""
    from fineprep.s3 import upload as _upload

    return _upload(*args, **kwargs)


def launch(*args: Any, **kwargs: Any) -> Any:
    """Submit a job request (``dry_run=True`` only validates): see
    :func:`fineprep.jobs.launch`."""
    from fineprep.jobs import launch as _launch

    return _launch(*args, **kwargs)
