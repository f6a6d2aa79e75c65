"""A deployed grader: the Lambda function of ``--grader arn:aws:lambda:...``, called through
boto3's ``lambda`` ``invoke`` exactly as the RFT job will call it.

A handled response with ``FunctionError`` (the function raised) is a grader failure with
Lambda's errorType and errorMessage; a call that outlasts the timeout is a timeout; AWS errors
(permissions, a wrong ARN, no credentials) stop the run with one line that says what to fix.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fineprep.io.aws import AwsOptions, aws_error, make_client
from fineprep.stages.grade.calls import Call, Failure


class LambdaGrader:
    def __init__(self, arn: str, aws: AwsOptions, timeout: float, client: Any = None) -> None:
        import dataclasses

        self.arn = arn
        self.name = arn.rsplit(":function:", 1)[-1]
        # Lambda answers when the function ends (or is stopped at its own timeout): wait a
        # little longer than the timeout being tested, so the measurement is the function's.
        opts = dataclasses.replace(aws, read_timeout=timeout + 10, max_attempts=1)
        self.client = client or make_client("lambda", opts, aws.region or arn.split(":")[3])

    def call(self, event: list[dict[str, Any]], timeout: float) -> Call:
        from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

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
        except (BotoCoreError, ClientError) as exc:
            raise aws_error(exc, f"Lambda Invoke {self.arn}") from None
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
