"""A job request edited by hand is launched as what it now says: its clientRequestToken is
derived again (Bedrock ignores a request whose token it has seen, so the old token would drop
the edits without a word), with one line saying so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.stub import Stubber

from fineprep.io.aws import AwsOptions
from fineprep.stages.launch.idempotency import derived_token
from fineprep.stages.launch.submit import launch
from tests.e2e.test_launch import ROLE, bedrock, request_file
from tests.s3server import FaultProxy, aws_fixture, moto_fixture, proxy_fixture, run_cli  # noqa: F401  (fixtures)


def edit(path: Path, name: str, **changes: Any) -> Path:
    """What the user did: more epochs and another training file, name and token kept."""
    req = json.loads(path.read_text())
    req["hyperParameters"]["epochCount"] = "5"
    req["trainingDataConfig"]["s3Uri"] = "s3://fineprep-data/r/train-v2.jsonl"
    req.update(changes)
    out = path.with_name(name)
    out.write_text(json.dumps(req, indent=2))
    return out


def test_an_edited_request_is_sent_with_a_token_its_content_derives(tmp_path: Path) -> None:
    path = request_file(tmp_path, role_arn=ROLE, job_name="tickets-2")
    edited = edit(path, "edited.json", jobName="tickets-3")
    body = json.loads(edited.read_text())
    want = {**body, "clientRequestToken": derived_token(body)}
    assert want["clientRequestToken"] != body["clientRequestToken"]
    client = bedrock("https://bedrock.us-east-1.amazonaws.com", "us-east-1")
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/tickets-3"
    with Stubber(client) as stub:
        stub.add_response("create_model_customization_job", {"jobArn": arn}, want)
        result = launch(edited, aws=AwsOptions(region="us-east-1"), client=client)
        stub.assert_no_pending_responses()
    assert result.job_arn == arn and not result.already
    (note,) = result.notes
    assert "changed after its clientRequestToken was derived" in note
    assert want["clientRequestToken"] in note and body["clientRequestToken"] in note
    again = launch(edited, dry_run=True)  # the same edited file derives the same token
    assert again.request["clientRequestToken"] == want["clientRequestToken"]


def test_an_edited_request_under_a_used_name_is_refused_not_found(
    aws: FaultProxy, tmp_path: Path
) -> None:
    path = request_file(tmp_path, hyperparameters={"epochCount": 3}, job_name="tickets-9")
    first = run_cli(["launch", str(path), "--role-arn", ROLE, "--endpoint-url", aws.url])
    assert first.exit_code == 0, first.stderr
    edited = edit(path, "edited.json")
    res = run_cli(["launch", str(edited), "--role-arn", ROLE, "--endpoint-url", aws.url])
    assert res.exit_code == 2, res.stderr
    assert "already submitted" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert "a different job named 'tickets-9' exists" in line
    assert "this request was changed after it was written" in line
    assert "jobName in the request" in line
    job = bedrock(aws.url, "us-east-1").get_model_customization_job(jobIdentifier="tickets-9")
    assert job["hyperParameters"]["epochCount"] == "3"  # the first job, untouched
