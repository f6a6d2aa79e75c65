"""What every command means by ``-q``, ``-v``, ``--color`` and ``--progress``: one definition.

- ``-q/--quiet``: only the results and errors: no summary lines, notes or progress.
- ``-v/--verbose``: also say what was used (config file, model, cache) on stderr.
- ``--color auto|always|never``: auto colours a terminal unless ``NO_COLOR`` is set;
  ``FORCE_COLOR`` colours a pipe too; ``always`` and ``never`` override both.
- ``--progress/--no-progress`` (commands that take a while): default on a terminal only.

``-o/--output`` is always the output path (a file or a directory, per command); ``--output-dir``
is kept as a hidden alias where it was the old spelling.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
_KEY = "fineprep.manners"


@dataclass
class Manners:
    quiet: bool = False
    verbose: bool = False
    color: str = "auto"
    progress: bool | None = None

    def colour(self, stream: TextIO | None = None, *, to_file: bool = False) -> bool:
        """Whether to colour output bound for ``stream`` (default stdout), or for a file."""
        if self.color != "auto":
            return self.color == "always"
        if os.environ.get("NO_COLOR"):
            return False
        if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
            return not to_file
        target = stream or sys.stdout
        return not to_file and bool(getattr(target, "isatty", lambda: False)())

    def say(self, message: str) -> None:
        """A summary or note line on stderr (dropped by ``-q``)."""
        if not self.quiet:
            click.echo(message, err=True)

    def note(self, message: str) -> None:
        """A detail line on stderr shown only with ``-v``."""
        if self.verbose:
            click.echo(f"fineprep: {message}", err=True)

    def show_progress(self) -> bool | None:
        """True/False when forced by an option or ``-q``; None: up to the terminal."""
        if self.quiet:
            return False
        return self.progress


def manners() -> Manners:
    """The current command's manners (defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_KEY) if ctx is not None else None
    return found if isinstance(found, Manners) else Manners()


def _color(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return value.lower() if value else value


def common_options(*, progress: bool = False) -> Callable[[F], F]:
    """Add ``-q``, ``-v``, ``--color`` (and ``--progress``) to a command; the command reads
    them with :func:`manners` instead of taking them as arguments."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            quiet = kwargs.pop("quiet")
            verbose = kwargs.pop("verbose")
            if quiet and verbose:
                raise click.UsageError("-q/--quiet and -v/--verbose contradict each other")
            chosen = kwargs.pop("color")
            color = "never" if kwargs.pop("no_color") else chosen
            shown = kwargs.pop("progress", None)
            click.get_current_context().meta[_KEY] = Manners(quiet, verbose, color, shown)
            return fn(*args, **kwargs)

        options = [
            click.option(
                "-q", "--quiet", is_flag=True, help="Only results and errors: no summary or notes."
            ),
            click.option(
                "-v", "--verbose", is_flag=True, help="Also say what was used (config, model...)."
            ),
            click.option(
                "--color",
                type=click.Choice(["auto", "always", "never"], case_sensitive=False),
                default="auto",
                show_default=True,
                is_flag=False,
                flag_value="always",
                callback=_color,
                help="Colour: auto = on a terminal unless NO_COLOR is set (FORCE_COLOR forces).",
            ),
            click.option("--no-color", is_flag=True, hidden=True, help="Same as --color never."),
        ]
        if progress:
            options.append(
                click.option(
                    "--progress/--no-progress",
                    default=None,
                    help="Progress (percent, time left) on stderr (default: on a terminal).",
                )
            )
        decorated: Any = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


class LocalPath(click.Path):
    """A path this machine writes: ``s3://`` and other URLs are refused (a plain path would
    turn ``s3://bucket/x`` into a local folder ``s3:``, written in silence)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from fineprep.io.outputs import url_scheme

        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        scheme = url_scheme(text)
        if scheme is not None:
            hint = "; `fineprep upload` sends a dataset to S3" if scheme.lower() == "s3" else ""
            self.fail(f"{text!r}: outputs are written to a local path{hint}", param, ctx)
        return super().convert(value, param, ctx)


def output_option(
    help_text: str, *, directory: bool = False, old_dir_spelling: bool = False
) -> Callable[[F], F]:
    """``-o/--output PATH`` (and the hidden ``--output-dir`` it replaced, same destination)."""

    def decorate(fn: F) -> F:
        kind = LocalPath(file_okay=not directory, dir_okay=directory)
        fn = click.option("-o", "--output", "output", type=kind, help=help_text)(fn)
        if old_dir_spelling:
            fn = click.option("--output-dir", "output_dir_alias", type=kind, hidden=True)(fn)
        return fn

    return decorate
