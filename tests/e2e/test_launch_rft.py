"""``fineprep launch`` of a REINFORCEMENT_FINE_TUNING request: through moto's Bedrock server
over HTTP (botocore serialises rftConfig for real), and with Stubber, which checks the exact
parameters against the installed botocore's service model (moto does not keep rftConfig)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.stages.launch.idempotency import derived_token
from fineprep.stages.launch.request import JobOptions, build_request
from fineprep.stages.launch.submit import launch
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
GRADER = "arn:aws:lambda:us-west-2:123456789012:function:math-grader"


def rft_request(model: str = "gpt-oss-20b", **hps: Any) -> dict[str, Any]:
    return build_request(
        get_profile(model),
        "rft",
        train_uri="s3://fineprep-data/rft/train.jsonl",
        validation_uri=None,
        output_uri="s3://fineprep-data/rft/output/",
        options=JobOptions(grader_arn=GRADER, rft_hyperparameters=hps),
        data_digest="b" * 64,
    )


def test_launch_rft_through_the_moto_server(aws: FaultProxy, tmp_path: Path) -> None:
    req = rft_request(epochCount=2, batchSize=32, reasoningEffort="medium")
    path = tmp_path / "job-request.json"
    path.write_text(json.dumps(req))
    res = run_cli(["launch", str(path), "--role-arn", ROLE, "--endpoint-url", aws.url])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip().endswith(f"model-customization-job/{req['jobName']}")
    assert "us-west-2" in res.stderr
    client = boto3.client(
        "bedrock", endpoint_url=aws.url, region_name="us-west-2",
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET,
    )  # fmt: skip
    job = client.get_model_customization_job(jobIdentifier=req["jobName"])
    assert job["jobName"] == req["jobName"]
    assert job["roleArn"] == ROLE


def test_launch_rft_sends_exactly_the_request(tmp_path: Path) -> None:
    req = rft_request("qwen3-32b", learningRate=0.00005, trainingSamplePerPrompt=8)
    client = boto3.client(
        "bedrock", region_name="us-west-2",
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET,
    )  # fmt: skip
    arn = f"arn:aws:bedrock:us-west-2:123456789012:model-customization-job/{req['jobName']}"
    with Stubber(client) as stub:
        sent = {**req, "roleArn": ROLE}
        sent["clientRequestToken"] = derived_token(sent)  # the role is part of the token
        stub.add_response("create_model_customization_job", {"jobArn": arn}, sent)
        result = launch(req, role_arn=ROLE, client=client)
        stub.assert_no_pending_responses()
    assert result.job_arn == arn and result.region == "us-west-2"
    sent = result.request["customizationConfig"]["rftConfig"]
    assert sent["hyperParameters"] == {"learningRate": 0.00005, "trainingSamplePerPrompt": 8}
    assert sent["graderConfig"]["lambdaGrader"]["lambdaArn"] == GRADER


def test_launch_refuses_a_broken_rft_request_before_calling_aws(tmp_path: Path) -> None:
    req = rft_request()
    req["customizationConfig"]["rftConfig"]["hyperParameters"] = {"batchSize": 1024}
    with pytest.raises(ConfigError, match="batchSize=1024 is outside"):
        launch(req, role_arn=ROLE, dry_run=True)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(req))
    res = run_cli(["launch", str(path), "--dry-run"])
    assert res.exit_code == 2 and "outside" in res.stderr


def test_open_weight_rft_names_the_route_aws_documents_and_writes_its_body(tmp_path: Path) -> None:
    from fineprep.stages.launch.openai_job import FILE_ID, openai_job

    req = rft_request(epochCount=2, batchSize=32, learningRate=0.00005)
    result = launch(req, dry_run=True)
    assert any("OpenAI-compatible API" in note and "bedrock-mantle.us-west-2" in note
               for note in result.notes)  # fmt: skip
    assert openai_job(req) == {
        "model": "openai.gpt-oss-20b",
        "training_file": FILE_ID,
        "method": {
            "type": "reinforcement",
            "reinforcement": {
                "grader": {"type": "lambda", "lambda": {"function": GRADER}},
                "hyperparameters": {"n_epochs": 2, "batch_size": 32},
            },
        },
    }
    nova = rft_request("nova-2-lite")
    assert not any("OpenAI-compatible" in n for n in launch(nova, dry_run=True).notes)


def test_upload_for_an_open_weight_model_writes_the_openai_job_body(
    aws: FaultProxy, tmp_path: Path
) -> None:
    from tests.conftest import FIXTURES
    from tests.s3server import make_bucket

    make_bucket(aws.url, "rft-west", "us-west-2")
    data = FIXTURES / "rft" / "math.jsonl"
    out = tmp_path / "out"
    res = run_cli([
        "upload", str(data), "--to", "s3://rft-west/math/", "-m", "gpt-oss-20b",
        "--grader-arn", GRADER, "-H", "epochCount=2", "-o", str(out), "--endpoint-url", aws.url,
        "--isolated", "--force",  # six prompts: below the minimum, which is not the point here
    ])  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert "OpenAI-compatible API" in res.stderr and "job-request.openai.json" in res.stderr
    body = json.loads((out / "job-request.openai.json").read_text())
    assert body["model"] == "openai.gpt-oss-20b"
    assert body["method"]["reinforcement"]["hyperparameters"] == {"n_epochs": 2}
    assert (out / "job-request.json").is_file()
