"""Failures of the tool itself (exit code 2), as opposed to findings about the data.

Every error message names the file (and line, row or page where there is one) and says what
to do, because the person reading it is often a labeller, not the developer.
"""

from __future__ import annotations


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


class UploadError(FineprepError):
    """S3 or Bedrock control-plane failures."""


class TokenizerUnavailable(FineprepError):
    """No tiktoken encoding could be loaded (typically an offline machine without a cache)."""
