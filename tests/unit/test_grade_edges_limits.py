"""``--timeout 0`` and ``--batch-size 0`` are refused like any other value out of range, not
replaced by the defaults; leaving them out still means the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fineprep.cli.main import cli
from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError
from fineprep.stages.grade.runner import DEFAULT_BATCH, GradeOptions, grade, options_from
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "rft" / "math.jsonl")
GOOD = f"{FIXTURES / 'graders' / 'correct'}.py:lambda_handler"


@pytest.mark.parametrize("timeout", [0, 0.0, -1])
def test_a_timeout_of_zero_or_less_is_refused(timeout: float) -> None:
    with pytest.raises(ConfigError, match="between 1 and 900"):
        grade(DATA, Settings(), GradeOptions(grader=GOOD, timeout=timeout))


@pytest.mark.parametrize("size", [0, -1])
def test_a_batch_size_below_one_is_refused(size: int) -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        grade(DATA, Settings(), GradeOptions(grader=GOOD, batch_size=size))


def test_zero_on_the_command_line_is_kept_not_replaced_by_config(tmp_path: Path) -> None:
    cfg = tmp_path / "fineprep.toml"
    cfg.write_text("[rft]\nlambda-timeout = 5\ngrade-batch-size = 2\n")
    settings = load_settings(cfg)
    opts = options_from(settings, timeout=0, batch_size=0)
    assert (opts.timeout, opts.batch_size) == (0, 0)
    assert (options_from(settings).timeout, options_from(settings).batch_size) == (5, 2)
    bare = options_from(Settings(), timeout=None, batch_size=None)
    assert (bare.timeout, bare.batch_size) == (None, DEFAULT_BATCH)


@pytest.mark.parametrize(
    ("option", "message"),
    [("--timeout", "between 1 and 900"), ("--batch-size", "at least 1")],
)
def test_the_cli_refuses_zero_with_exit_2(option: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["grade", DATA, "--grader", GOOD, option, "0", "--isolated"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "R007" not in result.output
