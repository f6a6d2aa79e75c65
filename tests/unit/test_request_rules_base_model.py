"""``baseModelIdentifier`` names the model as Bedrock lists it for customization: text models
with their context suffix (``amazon.nova-lite-v1:0:300k``), as a model ID or a foundation-model
ARN; the inference ID without the suffix, or a short name, is refused with the right ID."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import ConfigError
from fineprep.stages.launch.request import validate_request
from fineprep.stages.launch.submit import launch
from tests.s3server import run_cli

ARN = "arn:aws:bedrock:us-east-1::foundation-model/"


def request(base: str, **extra: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "jobName": "tickets-1",
        "customModelName": "tickets-model",
        "baseModelIdentifier": base,
        "trainingDataConfig": {"s3Uri": "s3://fineprep-data/r/train.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://fineprep-data/r/out/"},
        "hyperParameters": {"epochCount": "2"},
    }
    req.update(extra)
    return req


def test_the_inference_id_without_the_context_suffix_is_refused_naming_the_right_id(
    tmp_path: Path,
) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(request("amazon.nova-lite-v1:0")))
    res = run_cli(["launch", str(path), "--dry-run"])
    assert res.exit_code == 2
    assert "amazon.nova-lite-v1:0:300k" in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize(
    ("base", "right"),
    [
        ("amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0:128k"),
        ("meta.llama3-2-1b-instruct-v1:0", "meta.llama3-2-1b-instruct-v1:0:128k"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0:200k"),
        (f"{ARN}amazon.nova-lite-v1:0", f"{ARN}amazon.nova-lite-v1:0:300k"),
    ],
)
def test_unsuffixed_ids_and_arns_are_refused(base: str, right: str) -> None:
    req = request(base)
    req.pop("hyperParameters")
    with pytest.raises(ConfigError, match="customization ID") as err:
        validate_request(req, "job")
    assert right in str(err.value)


@pytest.mark.parametrize(
    "base",
    [
        "amazon.nova-lite-v1:0:300k",
        f"{ARN}amazon.nova-lite-v1:0:300k",
        "amazon.nova-canvas-v1:0",  # image models have no context suffix
    ],
)
def test_customization_ids_and_their_arns_are_accepted(base: str) -> None:
    req = request(base)
    if "canvas" in base:
        req["hyperParameters"] = {"batchSize": "8"}
    assert validate_request(req, "job") is not None
    assert launch(req, dry_run=True).region == "us-east-1"


def test_a_distillation_student_needs_its_suffix_but_the_teacher_does_not() -> None:
    config = {
        "distillationConfig": {
            "teacherModelConfig": {"teacherModelIdentifier": "amazon.nova-pro-v1:0"}
        }
    }
    good = request("amazon.nova-lite-v1:0:300k", customizationType="DISTILLATION")
    good.pop("hyperParameters")
    good["customizationConfig"] = config
    validate_request(good, "job")
    with pytest.raises(ConfigError, match=r"amazon\.nova-lite-v1:0:300k"):
        validate_request({**good, "baseModelIdentifier": "amazon.nova-lite-v1:0"}, "job")
