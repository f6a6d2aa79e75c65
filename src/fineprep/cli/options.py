"""Options shared by several commands (one definition each)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from fineprep.core.config import Settings
    from fineprep.stages.check.state import CheckResult

F = TypeVar("F", bound=Callable[..., Any])


def split_codes(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    """``--select E,W --select T00`` -> ``["E", "W", "T00"]`` (upper-cased)."""
    out: list[str] = []
    for item in value:
        out.extend(part.strip().upper() for part in item.split(",") if part.strip())
    return out


def config_options(fn: F) -> F:
    fn = click.option(
        "--isolated",
        is_flag=True,
        help="Ignore config files (use defaults and command-line options only).",
    )(fn)
    fn = click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        help="Config file (default: nearest fineprep.toml or pyproject.toml with [tool.fineprep]).",
    )(fn)
    return fn


def model_option(fn: F) -> F:
    return click.option(
        "-m",
        "--model",
        help="Base model: short name (nova-lite), model ID "
        "(amazon.nova-lite-v1:0[:300k]) or alias. See `fineprep models`.",
    )(fn)


def selection_options(fn: F) -> F:
    fn = click.option(
        "--ignore",
        multiple=True,
        callback=split_codes,
        metavar="CODES",
        help="Codes or prefixes to skip, comma-separated (P-codes cannot be ignored).",
    )(fn)
    fn = click.option(
        "--extend-select",
        multiple=True,
        callback=split_codes,
        metavar="CODES",
        help="Codes or prefixes to add to the selection.",
    )(fn)
    fn = click.option(
        "--select",
        multiple=True,
        callback=split_codes,
        metavar="CODES",
        help="Codes or prefixes to check (default: all default rules); ALL for every rule.",
    )(fn)
    return fn


def fail_on_option(
    help_text: str = "Lowest severity that makes the exit code 1 (default: error).",
) -> Callable[[F], F]:
    return click.option(
        "--fail-on", type=click.Choice(["error", "warning", "info"]), help=help_text
    )


def output_format_option(help_text: str = "How to print the findings.") -> Callable[[F], F]:
    """``--output-format``: every registered reporter (text, json, sarif, github, html)."""
    from fineprep.report.base import REPORTERS

    return click.option(
        "--output-format",
        "output_format",
        default="text",
        show_default=True,
        type=click.Choice(list(REPORTERS)),
        help=help_text,
    )


def engine_flags(fn: F) -> F:
    """``--jobs``, ``--engine``, ``--scheduler``: where big inputs are processed in partitions
    (the result is the same as with ``--jobs 1``)."""
    fn = click.option(
        "--scheduler",
        metavar="URL",
        help="Dask scheduler for --engine dask (tcp://HOST:PORT; implies --engine dask).",
    )(fn)
    fn = click.option(
        "--engine",
        "engine_name",
        type=click.Choice(["local", "processes", "dask"]),
        help="Where partitions run: this process, local processes (default) or a Dask cluster.",
    )(fn)
    fn = click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        help="Processes for big inputs (default: the machine's cores, or FINEPREP_JOBS; "
        "1 = one process).",
    )(fn)
    return fn


def apply_engine(
    settings: Settings, jobs: int | None, engine_name: str | None, scheduler: str | None
) -> None:
    """Resolve ``--jobs``/``--engine``/``--scheduler`` over ``FINEPREP_JOBS`` and ``[engine]``
    once, so that a bad value is a usage error before any work starts."""
    from fineprep.engines.base import resolve_into

    section = settings.sections.get("engine", {})
    settings.sections["engine"] = resolve_into(
        section, jobs=jobs, engine=engine_name, scheduler=scheduler
    )


def apply_policy(
    settings: Settings,
    *,
    select: list[str] | None,
    extend_select: list[str],
    ignore: list[str],
    fail_on: str | None,
) -> None:
    """Command-line selection and policy over the config's: ``--select`` replaces the
    selection, ``--extend-select`` and ``--ignore`` add to it, ``--fail-on`` replaces it."""
    from fineprep.core.model import Severity

    if select:
        settings.select = select
    settings.extend_select = [*settings.extend_select, *extend_select]
    settings.ignore = [*settings.ignore, *ignore]
    if fail_on:
        settings.fail_on = Severity.parse(fail_on)


def echo_check(result: CheckResult, output_format: str, output: str | None = None) -> None:
    """Print findings (or write them to ``output`` atomically): check, grade, and the check a
    command ran on what it wrote (split, augment). ``-q`` drops the text summary line;
    colour follows ``--color`` (never in a file unless ``--color always``)."""
    from fineprep.cli.manners import manners
    from fineprep.report.base import render_chunks

    how = manners()
    pieces = render_chunks(result, output_format, color=how.colour(to_file=output is not None))
    if how.quiet and output_format == "text":
        pieces = without_last_line(pieces)
    if output:
        from fineprep.io.atomic import AtomicWriter

        with AtomicWriter(output) as out:
            for piece in pieces:
                out.write(piece.encode("utf-8"))
    else:  # color=True: the choice is made above; click would strip it on a pipe
        for piece in pieces:
            click.echo(piece, nl=False, color=True)


def without_last_line(pieces: Iterator[str]) -> Iterator[str]:
    """A text report's pieces without its summary line (``--quiet``)."""
    held: str | None = None
    for piece in pieces:
        if held is not None:
            yield held
        held = piece
    if held:
        yield "".join(line + "\n" for line in held.splitlines()[:-1])


def ticker(label: str, paths: list[str], passes: int = 1) -> AbstractContextManager[Any]:
    """The progress line of a stage that reads ``paths`` (check, split): on a terminal, or as
    ``--progress``/``--no-progress``/``-q`` say; nothing to draw for standard input."""
    import contextlib
    import sys

    from fineprep.cli.manners import manners
    from fineprep.io.progress import InputMeter, Ticker

    forced = manners().show_progress()
    files = [p for p in paths if p != "-"]
    if forced is False or not files:
        return contextlib.nullcontext()
    meter = InputMeter(files, passes)
    if forced:
        return Ticker(sys.stderr, label, meter)
    return Ticker.for_terminal(sys.stderr, label, meter)
