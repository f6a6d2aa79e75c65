"""``fineprep`` entry point: a click group whose subcommands are imported on demand.

Importing a subcommand only when it runs keeps ``fineprep check`` (the pre-commit hook) free of
the converters' and uploader's dependencies. Every failure of the tool itself becomes a
one-line message and exit code 2, never a traceback (set FINEPREP_DEBUG=1 to see one).
"""

from __future__ import annotations

import errno
import os
import sys
from importlib import import_module
from typing import Any, NoReturn

import click

from fineprep.cli import signals
from fineprep.core import __version__
from fineprep.core.errors import FineprepError, did_you_mean, missing_dependency

COMMANDS = {
    "convert": (
        "fineprep.cli.convert",
        "convert",
        "Convert CSV, Parquet, JSONL, Textract and IDP results to Bedrock JSONL.",
    ),
    "check": ("fineprep.cli.check", "check", "Validate Bedrock fine-tuning JSONL files."),
    "augment": (
        "fineprep.cli.augment",
        "augment",
        "Add variants of records to reach a model's minimums or class quotas.",
    ),
    "split": ("fineprep.cli.split", "split", "Split a dataset into train/validation(/test)."),
    "upload": ("fineprep.cli.upload", "upload", "Upload a checked dataset to S3 with a manifest."),
    "grade": (
        "fineprep.cli.grade",
        "grade",
        "Dry-run an RFT reward function (grader) over the dataset.",
    ),
    "launch": ("fineprep.cli.launch", "launch", "Submit a model customization job request."),
    "run": ("fineprep.cli.run", "run", "Run the whole pipeline from one config file."),
    "explain": ("fineprep.cli.explain", "explain", "Explain a finding code."),
    "models": ("fineprep.cli.models", "models", "List the Bedrock model profiles."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        command: click.Command = getattr(import_module(spec[0]), spec[1])
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            raise click.UsageError(
                f"unknown command {name!r}{did_you_mean(name, COMMANDS)}", ctx=ctx
            )
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fineprep")
def cli() -> None:
    """Prepare and validate fine-tuning data for Amazon Bedrock model customization.

    \b
    Pipeline: convert -> (augment) -> check -> split -> upload -> launch.
    Exit codes: 0 no errors, 1 errors found, 2 tool, config or input failure,
    130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
    """


def main(argv: list[str] | None = None) -> Any:
    """Run the command line: every way it can end is an exit code and at most one line.

    Click's own handling (``standalone_mode``) is replaced so that usage errors read like
    ruff's and the AWS CLI's (``fineprep check: error: ...`` plus where to look, exit 2)
    and Ctrl-C is "interrupted" with 130 rather than "Aborted!" with 1.
    """
    previous = signals.raise_in_command()
    try:
        args = sys.argv[1:] if argv is None else list(argv)
        _refuse_undecodable(args)
        with cli.make_context("fineprep", args) as ctx:
            cli.invoke(ctx)
        code: Any = 0
    except click.exceptions.Exit as exc:  # --help, --version
        code = exc.exit_code
    except _NoArgsIsHelp as exc:  # bare `fineprep`: the help, and exit 2 as for any usage error
        click.echo(exc.ctx.get_help() if exc.ctx is not None else "")
        code = 2
    except click.ClickException as exc:
        click.echo(usage_message(exc, args), err=True)
        code = 2
    except click.exceptions.Abort:
        click.echo("fineprep: interrupted", err=True)
        code = signals.INTERRUPTED
    except KeyboardInterrupt as exc:
        line, code = signals.describe(exc)
        click.echo(line, err=True)
    except FineprepError as exc:  # raised outside a command's own handling
        click.echo(f"fineprep: error: {one_line(str(exc))}", err=True)
        code = exc.exit_code
    except BrokenPipeError:
        code = _broken_pipe()
    except OSError as exc:  # --help or --version into a full disk or a closed stream
        if not _stdout_fails(exc):
            _internal_error(exc)
        code = _unwritable_stdout(exc)
    finally:
        signals.restore(previous)
    sys.exit(code)


def _refuse_undecodable(args: list[str]) -> None:
    """An argument that is not valid UTF-8 (a file name written in another encoding): file
    names go into JSON reports, SARIF, sidecars and manifests, which are UTF-8, so say which
    one before any work rather than fail in the middle of writing them."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise click.UsageError(
                f"'{shown}' is not valid UTF-8 (a file name in another encoding?): reports and "
                "sidecars name files in UTF-8, so rename it"
            ) from None


_NoArgsIsHelp: type[click.UsageError] = getattr(
    click.exceptions, "NoArgsIsHelpError", type("_Never", (click.UsageError,), {})
)


def usage_message(exc: click.ClickException, args: list[str] | None = None) -> str:
    """``fineprep split: error: Missing argument 'DATASET.jsonl'; try 'fineprep split --help'``

    Click's option parser raises some errors (an option missing its value) with no context;
    the command is then the first word of ``args`` that is one, as the group reads it."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "fineprep"
    if ctx is None and args:
        first = next((a for a in args if not a.startswith("-")), None)
        path = f"fineprep {first}" if first in COMMANDS else path
    if isinstance(exc, click.NoSuchOption):
        close = [repr(p) for p in exc.possibilities or []][:3]
        text = f"no such option {exc.option_name!r}"
        text += f" (did you mean {' or '.join(close)}?)" if close else ""
    else:
        text = one_line(exc.format_message()).rstrip(".")
    hint = f"; try '{path} --help'" if isinstance(exc, click.UsageError) else ""
    return f"{path}: error: {text}{hint}"


def one_line(text: str) -> str:
    """Messages quoted from libraries (pyarrow, botocore) may span lines; errors never do."""
    return " ".join(text.split())


def _broken_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as cat does."""
    try:  # what is still buffered would fail again at exit: send it nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 1


#: What a write to a stream can fail with (not a permission or a missing file: those are opens).
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF})


def _stdout_fails(exc: OSError) -> bool:
    """Whether ``exc`` came from writing to standard output (a full disk, EIO): a frame on its
    way holds a stream on file descriptor 1 (click.echo's ``file``), and the error is one a
    write gives."""
    if exc.errno not in WRITE_ERRNOS:
        return False
    tb = exc.__traceback__
    while tb is not None:
        for name in ("file", "stream"):
            stream = tb.tb_frame.f_locals.get(name)
            try:
                if stream is not None and stream.fileno() == 1:
                    return True
            except (AttributeError, OSError, ValueError):
                pass
        tb = tb.tb_next
    return False


def _unwritable_stdout(exc: OSError) -> int:
    """Writing to standard output failed: one line on stderr, exit 2, and nothing more sent
    to it (what is buffered would fail again at exit)."""
    _broken_pipe()
    reason = exc.strerror or type(exc).__name__
    click.echo(f"fineprep: error: cannot write to standard output: {reason}", err=True)
    return 2


def run_guarded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a command body: FineprepError -> one line + exit 2; anything else -> exit 2 too."""
    try:
        return fn(*args, **kwargs)
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise  # usage errors: printed by main() in the command line's manner
    except FineprepError as exc:
        click.echo(f"fineprep: error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        line, code = signals.describe(exc)
        click.echo(line, err=True)
        sys.exit(code)
    except BrokenPipeError:
        sys.exit(_broken_pipe())
    except OSError as exc:
        if not _stdout_fails(exc):
            _internal_error(exc)
        sys.exit(_unwritable_stdout(exc))
    except Exception as exc:  # a bug in fineprep: say so, without a traceback
        _internal_error(exc)


def _internal_error(exc: Exception) -> NoReturn:
    """A bug in fineprep, or an optional dependency missing: one line and exit 2."""
    missing = missing_dependency(exc, _command_path()) if isinstance(exc, ImportError) else None
    if missing is not None:  # an optional dependency the user chose not to install
        click.echo(f"fineprep: error: {missing}", err=True)
        sys.exit(missing.exit_code)
    if os.environ.get("FINEPREP_DEBUG"):
        raise exc
    click.echo(
        f"fineprep: internal error: {type(exc).__name__}: {one_line(str(exc))} (please "
        "report it; "
        "set FINEPREP_DEBUG=1 for a traceback)",
        err=True,
    )
    sys.exit(2)


def _command_path() -> str:
    """``fineprep upload`` while a command runs, else ``fineprep``."""
    ctx = click.get_current_context(silent=True)
    return ctx.command_path if ctx is not None else "fineprep"


if __name__ == "__main__":  # pragma: no cover
    main()
