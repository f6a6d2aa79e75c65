"""``fineprep grade`` with local graders: each sample grader's exact findings, the events
Bedrock's shape, the time limit, and candidate responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError, InputError
from fineprep.stages.grade.events import read_items
from fineprep.stages.grade.runner import GradeOptions, grade
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "rft" / "math.jsonl")
RESPONSES = str(FIXTURES / "rft" / "responses.jsonl")
GRADERS = FIXTURES / "graders"


def run(grader: str, **options: Any) -> list[tuple[int, str]]:
    options.setdefault("score_range", (0.0, 1.0))
    result = grade(
        options.pop("data", DATA),
        Settings(model=options.pop("model", "gpt-oss-20b")),
        GradeOptions(grader=f"{GRADERS / grader}.py:lambda_handler", **options),
    )
    return sorted((f.location.line or 0, f.code) for f in result.findings)


def test_correct_grader_scores_every_reference_answer_top() -> None:
    result = grade(
        DATA,
        Settings(model="gpt-oss-20b"),
        GradeOptions(grader=f"{GRADERS / 'correct'}.py:lambda_handler", score_range=(0, 1)),
    )
    assert [(f.code, f.location.line) for f in result.findings] == [("R007", None)]
    stats = result.stats["grade"][DATA]
    assert stats["graded"] == 6 and stats["failed"] == 0
    assert stats["mean"] == 1.0 and stats["histogram"] == [[1.0, 2.0, 6]]
    assert result.exit_code == 0


def test_crash_on_one_record_is_pinned_to_its_line() -> None:
    result = grade(
        DATA,
        Settings(),
        GradeOptions(grader=f"{GRADERS / 'crash_one'}.py:lambda_handler", batch_size=4),
    )
    crashes = [f for f in result.findings if f.code == "R001"]
    assert [(f.location.line, f.data["error"]) for f in crashes] == [(3, "AttributeError")]
    assert "crash_one.py line 7" in crashes[0].message
    assert result.stats["grade"][DATA]["graded"] == 5
    assert result.exit_code == 1


def test_wrong_output_shape() -> None:
    assert run("wrong_shape", batch_size=6) == [
        (1, "R003"),  # score as a string
        (2, "R003"),  # no aggregate_reward_score
        (3, "R003"),  # NaN
        (4, "R003"),  # left out
        (5, "R003"),
        (6, "R003"),
    ]


def test_too_slow_grader_times_out_and_fineprep_does_not_hang() -> None:
    # A 30-second sleep against a 1-second limit: the worker is stopped, not waited for.
    assert run("slow", timeout=1, batch_size=3) == [(1, "R002"), (4, "R002")]


def test_grader_scoring_the_reference_low() -> None:
    assert run("low_reference") == [(0, "R007"), (3, "R005"), (6, "R005")]


def test_scores_out_of_the_declared_range() -> None:
    assert run("low_reference", score_range=(0.5, 1.0)) == [
        (0, "R007"),
        (3, "R004"),
        (3, "R005"),
        (6, "R004"),
        (6, "R005"),
    ]


def test_constant_scores_for_candidate_responses_are_no_signal(tmp_path: Path) -> None:
    data, answers = tmp_path / "same.jsonl", tmp_path / "answers.jsonl"
    prompt = {"messages": [{"role": "user", "content": "q"}], "reference_answer": "7"}
    data.write_text((json.dumps(prompt) + "\n") * 3)
    answers.write_text('"8"\n"9"\n{"response": "ten"}\n')
    assert run("correct", data=str(data), responses=str(answers)) == [(0, "R007"), (0, "R008")]
    assert run("correct", data=str(data)) == [(0, "R007")]  # all reference answers top: fine


def test_candidate_responses_replace_the_reference() -> None:
    result = grade(
        DATA,
        Settings(),
        GradeOptions(grader=f"{GRADERS / 'correct'}.py:lambda_handler", responses=RESPONSES),
    )
    assert [f.code for f in result.findings] == ["R007"]  # R005 is about reference answers
    assert result.stats["grade"][DATA]["mean"] == pytest.approx(4 / 6, abs=1e-6)


def test_events_are_built_as_bedrock_builds_them() -> None:
    items = list(read_items(DATA))
    first = items[0].event  # type: ignore[union-attr]
    assert first == {
        "id": "rec-1",
        "messages": [
            {"role": "system", "content": "Answer with the number only."},
            {"role": "user", "content": "What is 17 * 23?"},
            {"role": "assistant", "content": "391"},
        ],
        "metadata": {"reference_answer": "391", "canonical": "391"},
    }
    third = items[2].event  # type: ignore[union-attr]
    assert third["messages"][-1]["content"] == json.dumps(
        {"answer": 8, "primes": [2, 3, 5, 7, 11, 13, 17, 19]}, separators=(",", ":")
    )


def test_records_that_are_not_rft_prompts_are_reported_not_graded(tmp_path: Path) -> None:
    data = tmp_path / "mixed.jsonl"
    data.write_text(
        '{"messages": [{"role": "user", "content": "q"}], "reference_answer": "a"}\n'
        '{"prompt": "q", "completion": "a"}\n'
        "not json\n"
        '{"messages": [{"role": "tool", "content": "q"}], "reference_answer": "a"}\n'
    )
    assert run("correct", data=str(data), score_range=None) == [
        (0, "R007"),
        (2, "R009"),
        (3, "R009"),
        (4, "R009"),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("grader.py", "expected FILE.py:FUNCTION"),
        ("missing.py:lambda_handler", "no such file"),
        (f"{GRADERS / 'correct'}.py:no_such_function", "has no function 'no_such_function'"),
    ],
)
def test_a_grader_that_cannot_be_loaded_is_one_clear_error(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        grade(DATA, Settings(), GradeOptions(grader=spec))


def test_limits_are_checked() -> None:
    good = f"{GRADERS / 'correct'}.py:lambda_handler"
    with pytest.raises(ConfigError, match="between 1 and 900"):
        grade(DATA, Settings(), GradeOptions(grader=good, timeout=901))
    with pytest.raises(ConfigError, match="LOW must be below HIGH"):
        grade(DATA, Settings(), GradeOptions(grader=good, score_range=(1, 0)))
    with pytest.raises(ConfigError, match="not a Lambda function ARN"):
        grade(DATA, Settings(), GradeOptions(grader="arn:aws:lambda:us-west-2:1:function:x"))


def test_rft_config_section_drives_grade_and_the_job(tmp_path: Path) -> None:
    from fineprep.core.config import load_settings
    from fineprep.stages.grade.runner import options_from
    from fineprep.stages.launch.request import JobOptions
    from fineprep.stages.upload.runner import rft_job

    cfg = tmp_path / "fineprep.toml"
    cfg.write_text(
        "[rft]\n"
        f'grader = "{GRADERS / "low_reference.py"}:lambda_handler"\n'
        'grader-arn = "arn:aws:lambda:us-west-2:111122223333:function:g"\n'
        "score-range = [0, 1]\nlambda-timeout = 5\n"
        "[rft.hyperparameters]\nepochCount = 3\nmaxPromptLength = 2048\n"
    )
    settings = load_settings(cfg)
    opts = options_from(settings)
    assert (opts.score_range, opts.timeout) == ((0.0, 1.0), 5)
    codes = sorted((f.location.line or 0, f.code) for f in grade(DATA, settings, opts).findings)
    assert codes == [(0, "R007"), (3, "R005"), (6, "R005")]
    job = rft_job(JobOptions(), settings, JobOptions(hyperparameters={"batchSize": "64"}))
    assert job.grader_arn == "arn:aws:lambda:us-west-2:111122223333:function:g"
    assert job.rft_hyperparameters == {"epochCount": 3, "maxPromptLength": 2048, "batchSize": "64"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[rft]\nscore-range = "0-1"\n')
    with pytest.raises(ConfigError, match="score-range"):
        load_settings(bad)
