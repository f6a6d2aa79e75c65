"""clientRequestToken covers the whole request: Bedrock ignores a request whose token it has
seen, so two different jobs with one token would start only the first."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fineprep.core.profiles import get_profile
from fineprep.stages.launch.idempotency import derived_token, token_matches
from fineprep.stages.launch.request import JobOptions, build_request

ROLE = "arn:aws:iam::123456789012:role/FineprepBedrock"


def build(digest: str = "d" * 64, **options: Any) -> dict[str, Any]:
    return build_request(
        get_profile("nova-lite"),
        "conversation",
        train_uri="s3://ft-east/runs/r1/train.jsonl",
        validation_uri=None,
        output_uri="s3://ft-east/runs/r1/output/",
        options=JobOptions(**options),
        data_digest=digest,
    )


def test_jobs_that_differ_only_by_name_get_different_tokens() -> None:
    hps = {"epochCount": 3}
    one = build(job_name="run-1", custom_model_name="model-run-1", hyperparameters=hps)
    two = build(job_name="run-2", custom_model_name="model-run-2", hyperparameters=hps)
    assert one["clientRequestToken"] != two["clientRequestToken"]
    names = [build(custom_model_name=n)["clientRequestToken"] for n in ("a", "b")]
    assert names[0] != names[1]


def test_the_token_is_deterministic_and_follows_the_data() -> None:
    assert build(job_name="run-1") == build(job_name="run-1")
    assert build(digest="e" * 64)["clientRequestToken"] != build()["clientRequestToken"]


def test_the_token_is_the_one_the_final_request_derives() -> None:
    req = build(role_arn=ROLE, tags={"team": "a"}, hyperparameters={"epochCount": 2})
    assert token_matches(req)
    assert len(req["clientRequestToken"]) == 48


@pytest.mark.parametrize(
    "field",
    [
        "jobName",
        "customModelName",
        "roleArn",
        "baseModelIdentifier",
        "customizationType",
        "trainingDataConfig",
        "outputDataConfig",
        "hyperParameters",
        "jobTags",
        "customModelTags",
    ],
)
def test_every_field_bedrock_receives_is_in_the_token(field: str) -> None:
    req = build(role_arn=ROLE, tags={"team": "a"})
    edited = copy.deepcopy(req)
    value = edited[field]
    if isinstance(value, str):
        edited[field] = value + "x"
    elif isinstance(value, dict):
        key = next(iter(value))
        value[key] = "s3://ft-east/other.jsonl" if key == "s3Uri" else value[key] + "0"
    else:
        value[0]["value"] = "b"
    assert not token_matches(edited)
    assert derived_token(edited) != req["clientRequestToken"]
