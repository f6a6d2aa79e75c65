"""REINFORCEMENT_FINE_TUNING job requests: rftConfig with the grader ARN and typed,
range-checked hyperparameters, refused before a paid job can fail on them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.stages.launch.request import JobOptions, build_request, validate_request
from fineprep.stages.upload.manifest import first_schema_error

ARN = "arn:aws:lambda:us-west-2:111122223333:function:math-grader"
TRAIN = "s3://fineprep-data/rft/train.jsonl"
OUT = "s3://fineprep-data/rft/output/"


def build(model: str, **options: Any) -> dict[str, Any]:
    return build_request(
        get_profile(model),
        "rft",
        train_uri=TRAIN,
        validation_uri=options.pop("validation", None),
        output_uri=OUT,
        options=JobOptions(**options),
        data_digest="d" * 64,
    )


@pytest.mark.parametrize("model", ["gpt-oss-20b", "qwen3-32b", "nova-2-lite"])
def test_rft_request_carries_grader_and_typed_hyperparameters(model: str) -> None:
    req = build(
        model,
        grader_arn=ARN,
        rft_hyperparameters={
            "epochCount": "3",
            "batchSize": 64,
            "learningRate": 0.00001,
            "reasoningEffort": "high",
            "maxPromptLength": 4096,
        },
    )
    assert req["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert "hyperParameters" not in req
    assert req["customizationConfig"] == {
        "rftConfig": {
            "graderConfig": {"lambdaGrader": {"lambdaArn": ARN}},
            "hyperParameters": {
                "epochCount": 3,
                "batchSize": 64,
                "learningRate": 0.00001,
                "reasoningEffort": "high",
                "maxPromptLength": 4096,
            },
        }
    }
    assert first_schema_error("job-request", req) is None
    assert validate_request(req, "test").key == get_profile(model).key


def test_only_chosen_hyperparameters_are_sent() -> None:
    req = build("gpt-oss-20b", grader_arn=ARN)
    assert req["customizationConfig"]["rftConfig"] == {
        "graderConfig": {"lambdaGrader": {"lambdaArn": ARN}}
    }


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ({"batchSize": 8}, "batchSize=8 is outside OpenAI gpt-oss-20b's range 16-512"),
        ({"epochCount": 51}, "outside"),
        ({"trainingSamplePerPrompt": 1}, "range 2-16"),
        ({"evalInterval": 101}, "range 1-100"),
        ({"learningRate": 0.01}, "outside"),
        ({"epochCount": 2.5}, "whole number"),
        ({"epochCount": True}, "whole number"),
        ({"reasoningEffort": "max"}, "low | medium | high"),
        ({"maxPromptLength": 0}, "outside"),
        ({"learningRateMultiplier": 1}, "not one OpenAI gpt-oss-20b RFT jobs take"),
    ],
)
def test_bad_rft_hyperparameters_are_refused(chosen: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build("gpt-oss-20b", grader_arn=ARN, rft_hyperparameters=chosen)


@pytest.mark.parametrize(
    "arn",
    [None, "", "math-grader", "arn:aws:lambda:us-west-2:1111:function:x", "arn:aws:s3:::bucket"],
)
def test_a_grader_arn_is_required_and_checked(arn: str | None) -> None:
    with pytest.raises(ConfigError, match=r"reward function|not a Lambda function ARN"):
        build("qwen3-32b", grader_arn=arn)


def test_rft_for_a_model_without_rft_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not support REINFORCEMENT_FINE_TUNING"):
        build("nova-lite", grader_arn=ARN)


def test_rft_takes_no_validation_set() -> None:
    with pytest.raises(ConfigError, match="takes no validation set"):
        build("gpt-oss-20b", grader_arn=ARN, validation="s3://fineprep-data/rft/val.jsonl")


def test_hand_edited_requests_are_judged_by_the_same_rules() -> None:
    good = build("gpt-oss-20b", grader_arn=ARN, rft_hyperparameters={"epochCount": 2})
    cases = [
        (["customizationConfig", "rftConfig", "hyperParameters", "epochCount"], "2",
         "epochCount.*valid types"),
        (["customizationConfig", "rftConfig", "hyperParameters", "batchSize"], 4, "batchSize.*min"),
        (["customizationConfig", "rftConfig", "graderConfig", "lambdaGrader", "lambdaArn"],
         "arn:aws:lambda:us-west-2:111122223333:layer:x", "lambdaArn"),
    ]  # fmt: skip
    for path, value, message in cases:
        req = copy.deepcopy(good)
        node = req
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        with pytest.raises(ConfigError, match=message):
            validate_request(req, "job-request.json")
    req = copy.deepcopy(good)
    req["hyperParameters"] = {"epochCount": "2"}
    with pytest.raises(ConfigError, match=r"rftConfig\.hyperParameters, not hyperParameters"):
        validate_request(req, "job-request.json")
    req = copy.deepcopy(good)
    del req["customizationConfig"]
    with pytest.raises(ConfigError, match=r"needs customizationConfig\.rftConfig"):
        validate_request(req, "job-request.json")
