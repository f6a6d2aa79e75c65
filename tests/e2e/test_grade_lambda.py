"""``fineprep grade --grader arn:aws:lambda:...``: the deployed grader called through boto3
against a fake Lambda endpoint on 127.0.0.1 (tests/lambdaserver.py), and the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import FineprepError
from fineprep.io.aws import AwsOptions
from fineprep.stages.grade.runner import GradeOptions, grade
from tests.conftest import FIXTURES
from tests.e2e.cli import fineprep
from tests.lambdaserver import FakeLambda, fake_lambda_with_keys

DATA = str(FIXTURES / "rft" / "math.jsonl")
GRADERS = FIXTURES / "graders"


lam = pytest.fixture(fake_lambda_with_keys, name="lam")


def remote(fake: FakeLambda, arn: str, **options: object) -> list[tuple[int, str]]:
    result = grade(
        DATA,
        Settings(model="qwen3-32b"),
        GradeOptions(grader=arn, aws=AwsOptions(endpoint_url=fake.url), **options),  # type: ignore[arg-type]
    )
    return sorted((f.location.line or 0, f.code) for f in result.findings)


def test_deployed_correct_grader(lam: FakeLambda) -> None:
    arn = lam.add("correct", GRADERS / "correct.py")
    assert remote(lam, arn, score_range=(0, 1), batch_size=4) == [(0, "R007")]
    assert [len(call) for call in lam.calls] == [4, 2]
    assert lam.calls[0][0]["metadata"]["canonical"] == "391"


def test_deployed_grader_raising_is_pinned_to_the_record(lam: FakeLambda) -> None:
    arn = lam.add("crash", GRADERS / "crash_one.py")
    assert remote(lam, arn, batch_size=6) == [(0, "R007"), (3, "R001")]
    # one batch, then the records of the failed batch one by one
    assert [len(call) for call in lam.calls] == [6, 1, 1, 1, 1, 1, 1]


def test_deployed_grader_shape_and_timeout(lam: FakeLambda) -> None:
    shape = lam.add("shape", GRADERS / "wrong_shape.py")
    assert [c for _, c in remote(lam, shape, batch_size=6)] == ["R003"] * 6
    slow = lam.add("slow", GRADERS / "slow.py", timeout=1.0)
    assert remote(lam, slow, batch_size=6, timeout=3) == [(1, "R002")]


def test_deployed_grader_scoring_the_reference_low(lam: FakeLambda) -> None:
    arn = lam.add("low", GRADERS / "low_reference.py")
    assert remote(lam, arn, score_range=(0, 1)) == [(0, "R007"), (3, "R005"), (6, "R005")]


def test_unknown_function_is_one_clear_error(lam: FakeLambda) -> None:
    with pytest.raises(FineprepError, match=r"Lambda Invoke .*function:nope"):
        remote(lam, "arn:aws:lambda:us-west-2:111122223333:function:nope")


def test_cli_grade_with_a_local_grader_json_and_exit_codes(tmp_path: Path) -> None:
    ok = fineprep(
        "grade", DATA, "--grader", f"{GRADERS / 'correct.py'}:lambda_handler",
        "--score-range", "0,1", "--output-format", "json",
    )  # fmt: skip
    assert ok.code == 0, ok.err
    report = json.loads(ok.out)
    assert [f["code"] for f in report["findings"]] == ["R007"]
    bad = fineprep("grade", DATA, "--grader", f"{GRADERS / 'crash_one.py'}:lambda_handler")
    assert bad.code == 1
    assert "math.jsonl:3: R001 [error] grader raised AttributeError" in bad.out
    missing = fineprep("grade", DATA, "--grader", str(tmp_path / "none.py:lambda_handler"))
    assert missing.code == 2 and "no such file" in missing.err
    html = tmp_path / "grade.html"
    out = fineprep(
        "grade", DATA, "--grader", f"{GRADERS / 'low_reference.py'}:lambda_handler",
        "--output-format", "html", "-o", str(html),
    )  # fmt: skip
    assert out.code == 0, out.err
    page = html.read_text("utf-8")
    assert "Score distribution" in page and "<svg" in page
