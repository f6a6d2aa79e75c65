"""``fineprep`` entry point: a click group whose subcommands are imported on demand.

Importing a subcommand only when it runs keeps ``fineprep check`` (the pre-commit hook) free of
the converters' and uploader's dependencies. Every failure of the tool itself becomes a
one-line message and exit code 2, never a traceback (set FINEPREP_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Any

import click

from fineprep.core import __version__
from fineprep.core.errors import FineprepError

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
    Exit codes: 0 no errors, 1 errors found, 2 tool, config or input failure.
    """


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    try:
        return cli.main(args=argv, prog_name="fineprep", standalone_mode=True)
    except FineprepError as exc:  # raised outside a command's own handling
        click.echo(f"fineprep: error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)


def one_line(text: str) -> str:
    """Messages quoted from libraries (pyarrow, botocore) may span lines; errors never do."""
    return " ".join(text.split())


def run_guarded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a command body: FineprepError -> one line + exit 2; anything else -> exit 2 too."""
    try:
        return fn(*args, **kwargs)
    except FineprepError as exc:
        click.echo(f"fineprep: error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("fineprep: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:  # a bug in fineprep: say so, without a traceback
        if os.environ.get("FINEPREP_DEBUG"):
            raise
        click.echo(
            f"fineprep: internal error: {type(exc).__name__}: {one_line(str(exc))} (please "
            "report it; "
            "set FINEPREP_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
