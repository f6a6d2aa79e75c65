"""Every command's and subcommand's ``--help`` works and documents every option."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from fineprep.cli.main import cli
from tests.e2e.cli import fineprep
from tests.scripts import update_readme

ROOT = Path(__file__).resolve().parents[2]


PATHS: list[list[str]] = update_readme().command_paths()


def _command(path: list[str]) -> click.Command:
    command: click.Command = cli
    ctx = click.Context(cli)
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.get_command(ctx, name)
        assert sub is not None
        command = sub
    return command


def test_every_command_is_covered() -> None:
    assert len(PATHS) >= 11 and ["check"] in PATHS and ["launch"] in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "fineprep")
def test_help_exits_0_and_mentions_every_option(path: list[str]) -> None:
    run = fineprep(*path, "--help")
    assert run.code == 0, run.err
    assert run.out.startswith("Usage: fineprep"), run.out[:200]
    assert not run.err
    for param in _command(path).params:
        if isinstance(param, click.Option) and not param.hidden:
            for flag in [*param.opts, *param.secondary_opts]:
                assert flag in run.out, f"{' '.join(path)} --help does not mention {flag}"
    run_short = fineprep(*path, "-h")
    assert run_short.code == 0 and run_short.out == run.out
