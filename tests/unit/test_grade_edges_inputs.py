"""Values ``grade`` must refuse before calling the grader: a timeout Lambda would not accept
(below 1 second, for a local grader too) and a score range that is not two finite numbers
with LOW below HIGH, from the command line (usage error, exit 2) or from ``[rft]`` config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fineprep.cli.main import cli
from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError
from fineprep.stages.grade.runner import GradeOptions, grade, options_from
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "rft" / "math.jsonl")
GOOD = f"{FIXTURES / 'graders' / 'correct'}.py:lambda_handler"


@pytest.mark.parametrize("timeout", [0.001, 0.5, 0.999])
def test_a_timeout_below_one_second_is_refused(timeout: float) -> None:
    with pytest.raises(ConfigError, match="between 1 and 900"):
        grade(DATA, Settings(), GradeOptions(grader=GOOD, timeout=timeout))


def test_the_cli_refuses_a_timeout_below_one_second_with_exit_2() -> None:
    args = ["grade", DATA, "--grader", GOOD, "--timeout", "0.001", "--isolated"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "between 1 and 900" in result.output
    assert "R007" not in result.output


def test_a_timeout_of_one_second_is_accepted() -> None:
    result = grade(DATA, Settings(), GradeOptions(grader=GOOD, timeout=1))
    assert [f.code for f in result.findings] == ["R007"]


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ("0,inf", "must be finite"),
        ("-inf,1", "must be finite"),
        ("0,nan", "must be finite"),
        ("nan,1", "must be finite"),
        ("1,1", "LOW must be below HIGH"),
        ("2,1", "LOW must be below HIGH"),
        ("0,1,2", "expected two numbers"),
        ("a,b", "expected two numbers"),
    ],
)
def test_the_cli_refuses_a_score_range_that_is_not_finite_or_empty(span: str, message: str) -> None:
    args = ["grade", DATA, "--grader", GOOD, f"--score-range={span}", "--isolated"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "--score-range" in result.output and message in result.output
    assert "R005" not in result.output and "R007" not in result.output


@pytest.mark.parametrize("span", [(0, float("inf")), (float("nan"), 1), (1, 1)])
def test_grade_refuses_a_score_range_that_is_not_finite_or_empty(span: tuple[float, float]) -> None:
    with pytest.raises(ConfigError, match="--score-range"):
        grade(DATA, Settings(), GradeOptions(grader=GOOD, score_range=span))


@pytest.mark.parametrize(
    ("value", "message"),
    [("[0, inf]", "not a finite number"), ("[1, 0]", "below HIGH"), ("[1, 1]", "below HIGH")],
)
def test_a_bad_score_range_in_config_names_the_file(
    tmp_path: Path, value: str, message: str
) -> None:
    cfg = tmp_path / "fineprep.toml"
    cfg.write_text(f"[rft]\nscore-range = {value}\n")
    with pytest.raises(ConfigError, match=message) as caught:
        options_from(load_settings(cfg))
    assert "score-range" in str(caught.value) and str(cfg) in str(caught.value)
