"""fineprep: prepare and validate fine-tuning data for Amazon Bedrock model customization.

The public Python API mirrors the CLI; heavy dependencies load only when a function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fineprep.core import __version__
from fineprep.core.errors import ConfigError, FineprepError, InputError, UploadError

__all__ = [
    "ConfigError",
    "FineprepError",
    "InputError",
    "UploadError",
    "__version__",
    "augment",
    "check",
    "convert",
    "grade",
    "launch",
    "run",
    "split",
    "upload",
]
_API = {"augment", "check", "convert", "grade", "launch", "run", "split", "upload"}

if TYPE_CHECKING:  # what type checkers and editors see; at run time, imported on first use
    from fineprep.api import augment, check, convert, grade, launch, run, split, upload


def __getattr__(name: str) -> object:
    """``fineprep.check(...)`` and friends, imported on first use (keeps ``import fineprep``
    and the pre-commit hook light)."""
    if name in _API:
        from fineprep import api

        return getattr(api, name)
    raise AttributeError(f"module 'fineprep' has no attribute {name!r}")
