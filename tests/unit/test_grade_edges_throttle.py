"""A deployed grader that Lambda throttles (TooManyRequestsException, 429) or answers with a
transient service error: the call is retried with a doubling wait; a batch still refused after
the last attempt is R001 on each of its records and the run goes on, and after a few such
batches in a row the rest is one R001 "not sent". The findings made so far are never lost to an
exit 2. Configuration errors of Invoke (a 502 KMSAccessDenied, an unknown function) are not
retried and still stop the run with one line."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from fineprep.cli.main import cli
from fineprep.core.config import Settings
from fineprep.core.errors import FineprepError
from fineprep.io.aws import AwsOptions
from fineprep.stages.grade import remote
from fineprep.stages.grade.remote import LambdaGrader
from fineprep.stages.grade.runner import GradeOptions, grade
from tests.conftest import FIXTURES
from tests.lambdaserver import FakeLambda, fake_lambda_with_keys

DATA = str(FIXTURES / "rft" / "math.jsonl")  # 6 records
GRADERS = FIXTURES / "graders"
THROTTLE = (
    429,
    "TooManyRequestsException",
    {"message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
)


lam = pytest.fixture(fake_lambda_with_keys, name="lam")


def _run(fake: FakeLambda, waits: list[float], batch_size: int = 2) -> list[tuple[int, str]]:
    arn = fake.add("correct", GRADERS / "correct.py")
    grader = LambdaGrader(arn, AwsOptions(endpoint_url=fake.url), 3.0, sleep=waits.append)
    opts = GradeOptions(grader=arn, batch_size=batch_size)
    result = grade(DATA, Settings(model="qwen3-32b"), opts, grader)
    return sorted((f.location.line or 0, f.code) for f in result.findings)


def test_a_throttle_that_passes_is_retried_with_a_doubling_wait(lam: FakeLambda) -> None:
    lam.refusals += [THROTTLE, THROTTLE]
    waits: list[float] = []
    assert _run(lam, waits) == [(0, "R007")]
    assert lam.refused == 2
    assert waits == [0.5, 1.0]
    assert [len(call) for call in lam.calls] == [2, 2, 2]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(500, "ServiceException"), (502, "EC2ThrottledException"), (503, "ServiceUnavailable")],
)
def test_transient_service_errors_are_retried(lam: FakeLambda, status: int, kind: str) -> None:
    lam.refusals.append((status, kind, {"message": "try again"}))
    assert _run(lam, []) == [(0, "R007")]
    assert lam.refused == 1


def test_retry_after_is_honoured_up_to_a_limit(lam: FakeLambda) -> None:
    for seconds in (3, 999):
        lam.refusals.append((429, "TooManyRequestsException", {"retryAfterSeconds": seconds}))
    waits: list[float] = []
    assert _run(lam, waits) == [(0, "R007")]
    assert waits == [3.0, remote.MAX_WAIT]


def test_a_batch_refused_past_its_retries_is_r001_per_record_and_the_run_goes_on(
    lam: FakeLambda,
) -> None:
    lam.refusals += [THROTTLE] * remote.ATTEMPTS
    waits: list[float] = []
    result = _run(lam, waits)
    assert result == [(0, "R007"), (1, "R001"), (2, "R001")]
    assert waits == [0.5, 1.0, 2.0, 4.0]
    # the refused batch is not split into one call per record: no record is to blame
    assert lam.refused == remote.ATTEMPTS and [len(call) for call in lam.calls] == [2, 2]


def test_grading_stops_after_batches_refused_in_a_row_and_keeps_its_findings(
    lam: FakeLambda,
) -> None:
    lam.refusals += [THROTTLE] * 100
    result = _run(lam, [], batch_size=1)
    assert result == [(1, "R001"), (2, "R001"), (3, "R001"), (4, "R001")]
    assert lam.refused == 3 * remote.ATTEMPTS and lam.calls == []


def test_the_cli_reports_a_throttled_run_with_exit_1(
    lam: FakeLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "BACKOFF", 0.001, raising=False)
    arn = lam.add("correct", GRADERS / "correct.py")
    lam.refusals += [THROTTLE] * 100
    args = ["grade", DATA, "--grader", arn, "--endpoint-url", lam.url, "--isolated"]
    result = CliRunner().invoke(cli, [*args, "--batch-size", "4", "--output-format", "text"])
    assert result.exit_code == 1, result.output
    assert result.output.count("R001") == 6
    assert "TooManyRequestsException" in result.output
    assert "ReservedFunctionConcurrentInvocationLimitExceeded" in result.output
    assert "reserved concurrency" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "refusal",
    [
        (502, "KMSAccessDeniedException", {"message": "no access to the key"}),
        (400, "InvalidRequestContentException", {"message": "bad payload"}),
    ],
)
def test_configuration_errors_are_not_retried(
    lam: FakeLambda, refusal: tuple[int, str, dict[str, Any]]
) -> None:
    lam.refusals.append(refusal)
    waits: list[float] = []
    with pytest.raises(FineprepError, match=refusal[1]):
        _run(lam, waits)
    assert lam.refused == 1 and waits == []
