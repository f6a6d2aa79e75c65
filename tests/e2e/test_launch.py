"""``fineprep launch`` against moto's Bedrock control plane over HTTP, plus Stubber for what
moto does not do (it cannot read a job by ARN, and never answers ValidationException)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from fineprep.core.errors import UploadError
from fineprep.core.profiles import get_profile
from fineprep.io.aws import AwsOptions
from fineprep.stages.launch.idempotency import derived_token
from fineprep.stages.launch.request import JobOptions, build_request
from fineprep.stages.launch.submit import job_status, launch
from tests.s3server import (  # noqa: F401  (fixtures)
    FAKE_KEY_ID,
    FAKE_SECRET,
    FaultProxy,
    aws_fixture,
    moto_fixture,
    proxy_fixture,
    run_cli,
)

ROLE = "arn:aws:iam::123456789012:role/FineprepBedrock"


def request_file(
    tmp_path: Path, model: str = "nova-lite", fmt: str = "conversation", **options: Any
) -> Path:
    profile = get_profile(model)
    req = build_request(
        profile,
        fmt,
        train_uri="s3://fineprep-data/r/train.jsonl",
        validation_uri="s3://fineprep-data/r/validation.jsonl",
        output_uri="s3://fineprep-data/r/output/",
        options=JobOptions(**options),
        data_digest="a" * 64,
    )
    path = tmp_path / "job-request.json"
    path.write_text(json.dumps(req, indent=2))
    return path


def bedrock(endpoint: str, region: str) -> Any:
    return boto3.client(
        "bedrock",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
    )


def test_launch_submits_and_status_reads_back(aws: FaultProxy, tmp_path: Path) -> None:
    path = request_file(tmp_path, hyperparameters={"epochCount": 3}, tags={"project": "fineprep"})
    sent = json.loads(path.read_text())
    res = run_cli(["launch", str(path), "--role-arn", ROLE, "--endpoint-url", aws.url])
    assert res.exit_code == 0, res.stderr
    arn = res.stdout.strip()
    assert arn == (
        f"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/{sent['jobName']}"
    )
    assert "submitted" in res.stderr and "us-east-1" in res.stderr
    job = bedrock(aws.url, "us-east-1").get_model_customization_job(jobIdentifier=sent["jobName"])
    assert job["hyperParameters"] == {
        "epochCount": "3",
        "learningRate": "0.00001",
        "learningRateWarmupSteps": "10",
    }
    assert job["roleArn"] == ROLE
    # the role given to launch is part of what Bedrock receives, so of the token
    assert job["clientRequestToken"] == derived_token({**sent, "roleArn": ROLE})
    assert job["trainingDataConfig"] == sent["trainingDataConfig"]
    assert job["customizationType"] == "FINE_TUNING"
    assert len(aws.requests("POST", r"/model-customization-jobs$")) == 1
    status = run_cli(["launch", "--status", sent["jobName"], "--endpoint-url", aws.url])
    assert status.exit_code == 0, status.stderr
    assert status.stdout == f"{sent['jobName']}: InProgress\n"
    as_json = run_cli(
        [
            "launch",
            "--status",
            sent["jobName"],
            "--endpoint-url",
            aws.url,
            "--output-format",
            "json",
        ]
    )
    info = json.loads(as_json.stdout)
    assert info["jobArn"] == arn
    assert isinstance(info["creationTime"], str)


def test_same_job_twice_returns_the_existing_job(aws: FaultProxy, tmp_path: Path) -> None:
    path = request_file(tmp_path, role_arn=ROLE)
    first = run_cli(["launch", str(path), "--endpoint-url", aws.url])
    assert first.exit_code == 0
    again = run_cli(["launch", str(path), "--endpoint-url", aws.url, "--output-format", "json"])
    assert again.exit_code == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["jobArn"] == first.stdout.strip() and out["alreadySubmitted"] is True
    assert "already submitted" in again.stderr and "InProgress" in again.stderr
    assert len(aws.requests("POST", r"/model-customization-jobs$")) == 2  # the second was refused


def test_another_request_under_a_used_name_is_a_clean_error(
    aws: FaultProxy, tmp_path: Path
) -> None:
    path = request_file(tmp_path, role_arn=ROLE, job_name="tickets-1")
    assert run_cli(["launch", str(path), "--endpoint-url", aws.url]).exit_code == 0
    other = request_file(
        tmp_path, role_arn=ROLE, job_name="tickets-1", hyperparameters={"epochCount": 4}
    )
    again = run_cli(["launch", str(other), "--endpoint-url", aws.url])
    assert again.exit_code == 2
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "a different job named 'tickets-1' exists" in lines[0]


def test_llama_job_goes_to_us_west_2(aws: FaultProxy, tmp_path: Path) -> None:
    path = request_file(tmp_path, "llama3-1-8b", "prompt-completion", role_arn=ROLE)
    res = run_cli(["launch", str(path), "--endpoint-url", aws.url, "--output-format", "json"])
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["region"] == "us-west-2"
    assert ":us-west-2:" in out["jobArn"]
    wrong = run_cli(["launch", str(path), "--endpoint-url", aws.url, "--region", "us-east-1"])
    assert wrong.exit_code == 2
    assert "customized only in us-west-2" in wrong.stderr


def test_distillation_job(aws: FaultProxy, tmp_path: Path) -> None:
    path = request_file(
        tmp_path, "nova-micro", "distillation", teacher="amazon.nova-pro-v1:0", role_arn=ROLE
    )
    res = run_cli(["launch", str(path), "--endpoint-url", aws.url])
    assert res.exit_code == 0, res.stderr
    body = json.loads(path.read_text())
    job = bedrock(aws.url, "us-east-1").get_model_customization_job(jobIdentifier=body["jobName"])
    assert job["customizationType"] == "DISTILLATION"


def test_dry_run_and_refusals_send_nothing(aws: FaultProxy, tmp_path: Path) -> None:
    path = request_file(tmp_path)
    dry = run_cli(["launch", str(path), "--dry-run", "--role-arn", ROLE, "--endpoint-url", aws.url])
    assert dry.exit_code == 0, dry.stderr
    printed = json.loads(dry.stdout)
    with_role = {**json.loads(path.read_text()), "roleArn": ROLE}
    assert printed == {**with_role, "clientRequestToken": derived_token(with_role)}
    assert "note" not in dry.stderr  # a role from the command line is no edit
    no_role = run_cli(["launch", str(path), "--endpoint-url", aws.url])
    assert no_role.exit_code == 2
    assert no_role.stderr.strip() == (
        f"fineprep: error: {path}: no roleArn (pass --role-arn arn:aws:iam::ACCOUNT:role/NAME)"
    )
    edited = json.loads(path.read_text())
    edited["hyperParameters"]["learningRate"] = "0.5"
    path.write_text(json.dumps(edited))
    bad = run_cli(["launch", str(path), "--role-arn", ROLE, "--endpoint-url", aws.url])
    assert bad.exit_code == 2
    assert "learningRate=0.5 is outside Amazon Nova Lite's range" in bad.stderr
    usage = run_cli(["launch", "--endpoint-url", aws.url])
    assert usage.exit_code == 2
    assert aws.requests() == []


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = bedrock("https://bedrock.us-east-1.amazonaws.com", "us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_status_by_arn_passes_the_arn(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    arn = "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/abc123"
    stub.add_response(
        "get_model_customization_job",
        {
            "jobArn": arn,
            "jobName": "fineprep-nova-lite-1",
            "outputModelName": "m",
            "roleArn": ROLE,
            "status": "Failed",
            "failureMessage": "Could not validate GetObject permissions",
            "creationTime": "2024-06-01T00:00:00Z",
            "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
            "trainingDataConfig": {"s3Uri": "s3://b/train.jsonl"},
            "validationDataConfig": {"validators": []},
            "outputDataConfig": {"s3Uri": "s3://b/out/"},
        },
        {"jobIdentifier": arn},
    )
    info = job_status(arn, client=client)
    assert info["status"] == "Failed"
    assert info["creationTime"].startswith("2024-06-01")


def test_validation_exception_is_one_line(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stub = stubbed
    path = request_file(tmp_path, role_arn=ROLE)
    stub.add_client_error(
        "create_model_customization_job",
        "ValidationException",
        "The provided model identifier is invalid.",
        400,
        expected_params=json.loads(path.read_text()),
    )
    with pytest.raises(UploadError) as err:
        launch(path, aws=AwsOptions(region="us-east-1"), client=client)
    assert str(err.value) == (
        f"CreateModelCustomizationJob {json.loads(path.read_text())['jobName']}: "
        "ValidationException: The provided model identifier is invalid. (fix the request (see "
        "the message) and run launch again)"
    )
