"""The Python API: the CLI's commands as functions, returning values instead of exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fineprep.core.config import Settings, load_settings
from fineprep.stages.check.state import CheckResult


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
    from fineprep.stages.check.engine import check_files

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
    """Convert sources to Bedrock JSONL: see :func:`fineprep.stages.convert.runner.convert`."""
    from fineprep.stages.convert.runner import convert as _convert

    return _convert(*args, **kwargs)


def split(*args: Any, **kwargs: Any) -> Any:
    """Split a dataset into train/validation(/test): see
    :func:`fineprep.stages.split.runner.split`."""
    from fineprep.stages.split.runner import split as _split

    return _split(*args, **kwargs)


def augment(*args: Any, **kwargs: Any) -> Any:
    """Add variants of records until a goal is met (``to_min=True``, ``per_class=N``,
    ``target=N``): see :func:`fineprep.stages.augment.runner.augment`.

    >>> done = augment("train.jsonl", "more.jsonl", to_min=True, model="claude-3-haiku")
    ...                                                                  # doctest: +SKIP
    >>> done.made, done.classes, done.exit_code                         # doctest: +SKIP
    """
    from fineprep.stages.augment.runner import augment as _augment

    return _augment(*args, **kwargs)


def run(*args: Any, **kwargs: Any) -> Any:
    """The whole pipeline from one config: see :func:`fineprep.pipeline.run`."""
    from fineprep.pipeline import run as _run

    return _run(*args, **kwargs)


def upload(*args: Any, **kwargs: Any) -> Any:
    """Check, upload and verify a dataset; write the manifest and job request: see
    :func:`fineprep.stages.upload.runner.upload`."""
    from fineprep.stages.upload.runner import upload as _upload

    return _upload(*args, **kwargs)


def grade(
    dataset: str | Path,
    grader: str | None = None,
    *,
    model: str | None = None,
    config: str | Path | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> CheckResult:
    """Dry-run an RFT reward function over a dataset; ``options`` are
    :class:`~fineprep.stages.grade.runner.GradeOptions` fields (``score_range=(0, 1)``,
    ``timeout=3``, ``responses=...``). Findings are R codes, scores in ``stats["grade"]``.

    >>> result = grade("train.jsonl", "grader.py:lambda_handler")  # doctest: +SKIP
    """
    from fineprep.stages.grade.runner import grade as _grade
    from fineprep.stages.grade.runner import options_from

    if settings is None:
        settings = load_settings(config, isolated=config is None)
    if model:
        settings.model = model
    return _grade(str(dataset), settings, options_from(settings, grader=grader, **options))


def launch(*args: Any, **kwargs: Any) -> Any:
    """Submit a job request (``dry_run=True`` only validates): see
    :func:`fineprep.stages.launch.submit.launch`."""
    from fineprep.stages.launch.submit import launch as _launch

    return _launch(*args, **kwargs)
