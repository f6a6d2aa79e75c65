"""Textract job responses that hold nothing but their status are recognised as Textract and
refused with what to do, whether the source is detected or given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import InputError
from fineprep.stages.convert.sources.detect import kind_of
from fineprep.stages.convert.textract.reader import read_textract

BOTO3 = {"ResponseMetadata": {"RequestId": "0f1c", "HTTPStatusCode": 200, "RetryAttempts": 0}}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"JobStatus": "IN_PROGRESS"}, r"job status IN_PROGRESS; the job has not finished"),
        ({"JobStatus": "IN_PROGRESS", **BOTO3}, r"job status IN_PROGRESS"),
        ({"JobStatus": "FAILED"}, r"job status FAILED; re-run the Textract job"),
        ({"JobStatus": "SUCCEEDED", **BOTO3}, r"job status SUCCEEDED, but the response holds no"),
    ],
)
def test_a_status_only_response_is_refused(
    tmp_path: Path, response: dict[str, Any], expected: str
) -> None:
    path = tmp_path / "job.json"
    path.write_text(json.dumps(response))
    assert kind_of(str(path), None) == "textract"
    [reject] = read_textract([str(path)], {})
    assert reject.error is not None
    with pytest.raises(InputError, match=rf"job\.json: {expected}"):
        raise reject.error


def test_other_json_with_a_job_status_is_not_textract(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"JobStatus": "IN_PROGRESS", "invoice": "42"}))
    assert kind_of(str(path), None) != "textract"
