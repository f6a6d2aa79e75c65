"""A deployed grader: the Lambda function of ``--grader arn:aws:lambda:...``, called through
boto3's ``lambda`` ``invoke`` exactly as the RFT job will call it.

A handled response with ``FunctionError`` (the function raised) is a grader failure with
Lambda's errorType and errorMessage; a call that outlasts the timeout is a timeout. A throttle
or a transient service error (Lambda's own answer, before the function runs) is retried with a
doubling wait; when the attempts run out the batch's call is a failure marked ``transient`` (the
runner reports its records, and the run goes on). Other AWS errors (permissions, a wrong ARN, no
credentials) stop the run with one line that says what to fix.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fineprep.io.aws import AwsOptions, aws_error, error_code, make_client
from fineprep.stages.grade.calls import Call, Failure

#: Lambda's answers that say "not now" rather than "not this": throttles, a function that is
#: being updated or not yet ready, and Lambda's internal errors. Other 5xx answers of Invoke
#: (EC2AccessDenied, KMSDisabled, InvalidSubnetID...) are configuration errors: not retried.
TRANSIENT = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "ServiceException",
        "EC2ThrottledException",
        "ResourceNotReadyException",
        "ENINotReadyException",
        "ResourceConflictException",
        "SnapStartNotReadyException",
    }
)
TRANSIENT_STATUS = frozenset({429, 500, 503, 504})
ATTEMPTS = 5
BACKOFF = 0.5  # seconds before the second attempt, doubled before each next (7.5 s in all)
MAX_WAIT = 20.0  # the longest single wait, whatever Retry-After asks for


def is_transient(exc: BaseException) -> bool:
    """Whether an Invoke error is worth another attempt (see :data:`TRANSIENT`)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in TRANSIENT or status in TRANSIENT_STATUS


def _retry_after(exc: BaseException) -> float:
    """Lambda's ``Retry-After`` header in seconds (0 when absent or unreadable)."""
    headers = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPHeaders", {})
    try:
        return max(0.0, float(headers.get("retry-after", 0)))
    except (TypeError, ValueError):
        return 0.0


def _refusal(exc: BaseException, attempts: int, waited: float) -> Failure:
    """The failure a batch comes to when every attempt was refused: what Lambda said, and why."""
    response: dict[str, Any] = getattr(exc, "response", {})
    code = error_code(exc) or "Error"
    message = str(response.get("Error", {}).get("Message") or response.get("message") or "")
    reason = response.get("Reason")
    said = f"{message} ({reason})" if reason else message
    throttled = "Throttl" in code or code == "TooManyRequestsException"
    todo = (
        "raise the function's reserved concurrency or the account's Lambda concurrency "
        "quota (the RFT job calls it concurrently too), then grade again"
        if throttled
        else "grade again later"
    )
    return Failure(
        code,
        f"Lambda refused the call {attempts} times over {waited:.1f} s ({code}: {said}): "
        f"not graded; {todo}",
        code,
        transient=True,
    )


class LambdaGrader:
    def __init__(
        self,
        arn: str,
        aws: AwsOptions,
        timeout: float,
        client: Any = None,
        *,
        backoff: float | None = None,
        attempts: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import dataclasses

        self.arn = arn
        self.name = arn.rsplit(":function:", 1)[-1]
        # Lambda answers when the function ends (or is stopped at its own timeout): wait a
        # little longer than the timeout being tested, so the measurement is the function's.
        # botocore's own retries are off (they would retry a read timeout, which is a finding);
        # throttles are retried here, where the wait is known and the outcome reported.
        opts = dataclasses.replace(aws, read_timeout=timeout + 10, max_attempts=1)
        self.client = client or make_client("lambda", opts, aws.region or arn.split(":")[3])
        # None: the module's values, read now (tests shorten BACKOFF for a whole run).
        self.backoff = BACKOFF if backoff is None else backoff
        self.attempts = max(1, ATTEMPTS if attempts is None else attempts)
        self.sleep = sleep

    def call(self, event: list[dict[str, Any]], timeout: float) -> Call:
        from botocore.exceptions import BotoCoreError, ClientError

        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return self._invoke(event, timeout)
            except ClientError as exc:
                if not is_transient(exc):
                    raise aws_error(exc, f"Lambda Invoke {self.arn}") from None
                if attempt == self.attempts:
                    return Call(0.0, failure=_refusal(exc, attempt, waited))
                wait = min(MAX_WAIT, max(self.backoff * 2 ** (attempt - 1), _retry_after(exc)))
                self.sleep(wait)
                waited += wait
            except BotoCoreError as exc:
                raise aws_error(exc, f"Lambda Invoke {self.arn}") from None
        raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover

    def _invoke(self, event: list[dict[str, Any]], timeout: float) -> Call:
        """One Invoke: the function's answer, failure or timeout (AWS errors raise)."""
        from botocore.exceptions import ReadTimeoutError

        started = time.perf_counter()
        try:
            resp = self.client.invoke(
                FunctionName=self.arn,
                InvocationType="RequestResponse",
                Payload=json.dumps(event).encode(),
            )
            payload = resp["Payload"].read()
        except ReadTimeoutError:
            return Call(time.perf_counter() - started, timed_out=True)
        seconds = time.perf_counter() - started
        if seconds > timeout:
            return Call(seconds, timed_out=True)
        try:
            body = json.loads(payload) if payload else None
        except ValueError:
            return Call(seconds, failure=Failure("output", "the function returned non-JSON"))
        if resp.get("FunctionError"):
            info = body if isinstance(body, dict) else {}
            kind = str(info.get("errorType") or resp["FunctionError"])
            message = str(info.get("errorMessage") or body)[:500]
            if "Task timed out" in message:
                return Call(seconds, timed_out=True)
            return Call(seconds, failure=Failure(kind, message, kind))
        return Call(seconds, result=body)

    def close(self) -> None:
        """Nothing to release: the client's connections close with it."""
