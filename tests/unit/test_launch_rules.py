"""``launch`` takes every request the API takes: botocore's service model first, then only the
documented rules of the model (customization type optional, custom-model bases, numbers as AWS's
notebooks write them, teachers through inference profiles)."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from fineprep.core.errors import ConfigError
from fineprep.stages.launch.idempotency import derived_token
from fineprep.stages.launch.request import validate_request
from fineprep.stages.launch.submit import launch
from fineprep.stages.launch.validate import api_problem, teacher_model

ROLE = "arn:aws:iam::123456789012:role/FineprepBedrock"
CUSTOM = (
    "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:300k/abcdefghijkl"
)

#: What GetCustomModel answers for CUSTOM: the model it was customized from.
CUSTOM_MODEL = {
    "modelArn": CUSTOM,
    "modelName": "tickets-model-1",
    "creationTime": "2026-01-01T00:00:00Z",
    "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0:300k",
}


def request(base: str = "amazon.nova-lite-v1:0:300k", **extra: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "jobName": "tickets-1",
        "customModelName": "tickets-model",
        "roleArn": ROLE,
        "baseModelIdentifier": base,
        "trainingDataConfig": {"s3Uri": "s3://fineprep-data/r/train.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://fineprep-data/r/out/"},
        "hyperParameters": {"epochCount": "2", "learningRate": "0.00001"},
    }
    req.update(extra)
    return req


def test_customization_type_may_be_left_out() -> None:
    req = request()
    assert "customizationType" not in req
    profile = validate_request(req, "job")
    assert profile is not None and profile.key == "nova-lite"


@pytest.mark.parametrize("rate", ["1e-5", "1.00E-05", "0.00001", "1.0e-5", "+1e-5", ".00001"])
def test_numbers_in_the_forms_aws_notebooks_send(rate: str) -> None:
    req = request(hyperParameters={"epochCount": "2", "learningRate": rate})
    validate_request(req, "job")


def test_nova_canvas_takes_its_documented_lowest_rate_in_exponent_form() -> None:
    req = request(
        "amazon.nova-canvas-v1:0",
        hyperParameters={"batchSize": "8", "stepCount": "500", "learningRate": "1.00E-07"},
    )
    validate_request(req, "job")
    req["hyperParameters"]["learningRate"] = "9.9E-08"
    with pytest.raises(ConfigError, match="outside"):
        validate_request(req, "job")


def test_a_custom_model_as_the_base_is_valid_and_its_base_is_asked_of_bedrock() -> None:
    req = request(CUSTOM, hyperParameters={"epochCount": "2"})
    assert api_problem(req) is None
    dry = launch(req, dry_run=True)
    assert dry.region == "us-east-1" and dry.notes and "custom model" in dry.notes[0]
    client = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        stub.add_response("get_custom_model", CUSTOM_MODEL, {"modelIdentifier": CUSTOM})
        sent = {**req, "clientRequestToken": derived_token(req)}  # none given: derived
        stub.add_response("create_model_customization_job", {"jobArn": "arn:job"}, sent)
        done = launch(req, client=client)
    assert done.job_arn == "arn:job" and done.notes == []
    too_many = copy.deepcopy(req)
    too_many["hyperParameters"]["epochCount"] = "9"  # Nova Lite takes 1-5
    with Stubber(client) as stub:
        stub.add_response("get_custom_model", CUSTOM_MODEL)
        with pytest.raises(ConfigError, match="range 1-5"):
            launch(too_many, client=client)


def distillation(teacher: str) -> dict[str, Any]:
    req = request(customizationType="DISTILLATION")
    del req["hyperParameters"]
    req["customizationConfig"] = {
        "distillationConfig": {"teacherModelConfig": {"teacherModelIdentifier": teacher}}
    }
    return req


@pytest.mark.parametrize(
    "teacher",
    [
        "us.amazon.nova-premier-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-premier-v1:0",
        "amazon.nova-pro-v1:0",
    ],
)
def test_teachers_through_inference_profiles_are_accepted(teacher: str) -> None:
    validate_request(distillation(teacher), "job")


def test_what_the_api_pattern_refuses_is_refused() -> None:
    app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456"
    with pytest.raises(ConfigError, match="API's pattern"):
        validate_request(distillation(app), "job")


def test_a_profile_only_teacher_by_its_bare_id_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match="only through an inference profile") as err:
        validate_request(distillation("amazon.nova-premier-v1:0"), "job")
    assert "us.amazon.nova-premier-v1:0" in str(err.value)
    with pytest.raises(ConfigError, match="cannot teach"):
        validate_request(distillation("us.meta.llama3-3-70b-instruct-v1:0"), "job")


def test_teacher_identifiers_name_their_model() -> None:
    assert teacher_model("us.amazon.nova-premier-v1:0") == ("amazon.nova-premier-v1:0", True)
    assert teacher_model("global.amazon.nova-premier-v1:0") == ("amazon.nova-premier-v1:0", True)
    assert teacher_model("amazon.nova-pro-v1:0") == ("amazon.nova-pro-v1:0", False)
    assert teacher_model("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0") == (
        "amazon.nova-pro-v1:0",
        False,
    )


def test_invocation_logs_as_training_data_are_validated_not_a_crash() -> None:
    req = distillation("amazon.nova-pro-v1:0")
    req["trainingDataConfig"] = {
        "invocationLogsConfig": {
            "invocationLogSource": {"s3Uri": "s3://logs-bucket/AWSLogs/"},
            "usePromptResponse": False,
            "requestMetadataFilters": {"equals": {"project": "support"}},
        }
    }
    assert validate_request(req, "req.json") is not None
    req["trainingDataConfig"]["invocationLogsConfig"]["requestMetadataFilters"] = {
        "equals": {"a": "b"}, "notEquals": {"c": "d"},
    }  # fmt: skip
    with pytest.raises(ConfigError, match="Can only set one of the following keys"):
        validate_request(req, "req.json")
