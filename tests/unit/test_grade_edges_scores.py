"""Scores no float can hold (an integer like ``10**400``) are answers Bedrock cannot read:
R003 findings like NaN and infinity, never a crash of the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineprep.core.config import Settings
from fineprep.stages.grade.runner import GradeOptions, grade
from fineprep.stages.grade.shape import read_answer
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "rft" / "math.jsonl")
HUGE = 10**400


@pytest.mark.parametrize("score", [HUGE, -HUGE], ids=["huge", "-huge"])
def test_a_score_too_large_for_a_float_is_not_a_finite_number(score: int) -> None:
    reading = read_answer([{"id": "a", "aggregate_reward_score": score}], ["a"])
    assert reading.scores == {}
    assert len(reading.problems) == 1
    rid, problem = reading.problems[0]
    assert rid == "a" and "not a finite number" in problem
    assert len(problem) < 200  # the 400 digits are not pasted into the message


def test_a_metric_value_too_large_for_a_float_is_not_a_finite_number() -> None:
    item = {
        "id": "a",
        "aggregate_reward_score": 1.0,
        "metrics_list": [{"name": "m", "value": HUGE}],
    }
    reading = read_answer([item], ["a"])
    assert reading.scores == {}
    assert [rid for rid, _ in reading.problems] == ["a"]
    assert "('m') value" in reading.problems[0][1]
    assert "not a finite number" in reading.problems[0][1]


def test_large_integers_a_float_holds_are_scores() -> None:
    reading = read_answer([{"id": "a", "aggregate_reward_score": 10**300}], ["a"])
    assert reading.problems == [] and reading.scores == {"a": 1e300}


def test_a_grader_returning_a_huge_integer_gets_findings(tmp_path: Path) -> None:
    grader = tmp_path / "huge.py"
    grader.write_text(
        "def lambda_handler(event, context):\n"
        "    return [{'id': s['id'], 'aggregate_reward_score': 10**400} for s in event]\n"
    )
    result = grade(DATA, Settings(), GradeOptions(grader=f"{grader}:lambda_handler"))
    assert [(f.location.line, f.code) for f in result.findings] == [
        (line, "R003") for line in range(1, 7)
    ]
    assert result.stats["grade"][DATA]["failed"] == 6
    assert result.exit_code == 1
