"""Failures of the tool itself (exit code 2), as opposed to findings about the data.

Every error message names the file (and line, row or page where there is one) and says what
to do, because the person reading it is often a labeller, not the developer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import import_module
from types import ModuleType


class FineprepError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits 2."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(FineprepError):
    """Unreadable or invalid configuration, unknown model, bad option value."""


class InputError(FineprepError):
    """An input that cannot be read at all: missing file, directory, unreadable source."""


class MissingInput(InputError):
    """An input path that does not exist: the command was told the wrong path (what a run
    reports as its own failure, exit 2, where bad data in a file is the data's)."""


class UploadError(FineprepError):
    """S3 or Bedrock control-plane failures."""


class TokenizerUnavailable(FineprepError):
    """No tiktoken encoding could be loaded (typically an offline machine without a cache)."""


class MissingDependency(FineprepError):
    """An optional dependency of one command is not installed: say which extra brings it."""


#: Top-level module -> (distribution, fineprep extra that installs it). The one table the
#: missing-dependency message reads, so every command names the same extra for a module.
EXTRAS: dict[str, tuple[str, str]] = {
    "boto3": ("boto3", "aws"),
    "botocore": ("boto3", "aws"),
    "s3transfer": ("boto3", "aws"),
    "pyarrow": ("pyarrow", "parquet"),
    "numpy": ("numpy", "dataset"),
    "llama_models": ("llama-models", "llama"),
    "pandas": ("pandas", "pandas"),
    "jinja2": ("jinja2", "templates"),
    "markupsafe": ("jinja2", "templates"),
    "great_expectations": ("great-expectations", "gx"),
    "tokenizers": ("tokenizers", "hf"),
    "openpyxl": ("openpyxl", "xlsx"),
    "dask": ("dask", "dask"),
    "distributed": ("dask", "dask"),
}


def missing_dependency(exc: ImportError, purpose: str = "") -> MissingDependency | None:
    """The one-line error for an ``ImportError`` of an optional dependency, else None (a
    missing module that no extra provides is a broken installation, not a user's choice)."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    if name not in EXTRAS:
        return None
    package, extra = EXTRAS[name]
    what = f"{purpose} needs {package}" if purpose else f"this needs {package}"
    return MissingDependency(
        f"{what}, which is not installed", hint=f"pip install 'fineprep[{extra}]'"
    )


@functools.cache
def optional(module: str) -> ModuleType | None:
    """``module`` if it is installed (an extra such as numpy), else None; imported on the
    first call, asked once per process. For code with a pure-Python way of its own."""
    try:
        return import_module(module)
    except ImportError:
        return None


def require(module: str, purpose: str) -> None:
    """Import ``module`` now, or raise the missing-dependency error naming its extra."""
    try:
        import_module(module)
    except ImportError as exc:
        err = missing_dependency(exc, purpose)
        if err is None:
            raise
        raise err from None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'nova-lite'?)"`` for the closest of ``choices``, or ``""``: the one
    suggestion helper for models, commands, finding codes, options and config keys."""
    import difflib

    options = [str(c) for c in choices]
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""
