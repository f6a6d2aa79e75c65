"""The CreateModelCustomizationJob request: hyperparameters, names, types, and validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import ConfigError, InputError
from fineprep.core.profiles import all_profiles, get_profile
from fineprep.stages.launch.request import (
    JobOptions,
    build_request,
    hyperparameter_value,
    resolve_hyperparameters,
    validate_request,
)
from fineprep.stages.launch.submit import launch
from fineprep.stages.upload.manifest import first_schema_error
from fineprep.stages.upload.options import UploadOptions, from_table, overlay

TRAIN = "s3://fineprep-data/runs/r1/train.jsonl"
VALID = "s3://fineprep-data/runs/r1/validation.jsonl"
OUT = "s3://fineprep-data/runs/r1/output/"


def build(model: str, fmt: str = "conversation", **options: Any) -> dict[str, Any]:
    profile = get_profile(model)
    validation = options.pop("validation", VALID if profile.validation_supported else None)
    digest = options.pop("digest", "d" * 64)
    return build_request(
        profile,
        fmt,
        train_uri=TRAIN,
        validation_uri=validation,
        output_uri=OUT,
        options=JobOptions(**options),
        data_digest=digest,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("learningRate", 1e-05, "0.00001"),
        ("learningRate", "0.00002", "0.00002"),
        ("learningRate", 0.0001, "0.0001"),
        ("epochCount", 3, "3"),
        ("epochCount", "4", "4"),
        ("epochCount", 2.0, "2"),
        ("learningRateWarmupSteps", 0, "0"),
    ],
)
def test_hyperparameters_are_plain_strings(name: str, value: Any, expected: str) -> None:
    assert hyperparameter_value(get_profile("nova-lite"), name, value) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("epochCount", 6, "outside Amazon Nova Lite's range 1-5"),
        ("epochCount", 0, "outside Amazon Nova Lite's range 1-5"),
        ("epochCount", 2.5, "must be a whole number"),
        ("epochCount", True, "must be a whole number"),
        ("epochCount", "two", "must be a whole number"),
        ("learningRate", "nan", "must be a decimal number"),
        ("learningRate", "1_0e-6", "must be a decimal number"),
        ("learningRate", "1e-3", "outside Amazon Nova Lite's range 0.000001-0.0001"),
        ("learningRate", 0.001, "outside Amazon Nova Lite's range 0.000001-0.0001"),
        ("batchSize", 2, "outside Amazon Nova Lite's range 1-1"),
        ("warmupSteps", 1, "not one Amazon Nova Lite takes (epochCount, learningRate"),
    ],
)
def test_bad_hyperparameters_are_config_errors(name: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        hyperparameter_value(get_profile("nova-lite"), name, value)


def test_allowed_words_pass_through() -> None:
    titan = get_profile("titan-image-generator-v2")
    assert hyperparameter_value(titan, "stepCount", "auto") == "auto"
    with pytest.raises(ConfigError):
        hyperparameter_value(titan, "stepCount", "Auto")


def test_defaults_are_explicit_and_overridable() -> None:
    haiku = get_profile("claude-3-haiku")
    hps = resolve_hyperparameters(haiku, {"batchSize": 8})
    assert hps == {
        "epochCount": "2",
        "batchSize": "8",
        "learningRateMultiplier": "1",
        "earlyStoppingThreshold": "0.001",
        "earlyStoppingPatience": "2",
    }


@pytest.mark.parametrize("key", list(all_profiles()))
def test_every_profile_builds_a_valid_default_request(key: str) -> None:
    profile = all_profiles()[key]
    fmt = next((f for f in profile.formats if f not in {"distillation", "rft"}), None)
    if fmt is None:
        pytest.skip("RFT-only model: its requests need a grader (tests/unit/test_rft_request.py)")
    ctype = {"pretraining": "CONTINUED_PRE_TRAINING"}.get(fmt, "FINE_TUNING")
    req = build(key, fmt)
    assert req["customizationType"] == ctype
    assert req["baseModelIdentifier"] == profile.base_model_id
    assert first_schema_error("job-request", req) is None
    assert validate_request(req, "test") == get_profile(profile.base_model_id)
    sent = {hp.name for hp in profile.hyperparameters if hp.default is not None}
    assert set(req.get("hyperParameters", {})) == sent
    assert len(req["jobName"]) <= 63 and len(req["customModelName"]) <= 63


def test_nova_takes_the_batch_size_its_samples_send_and_never_sends_it_unasked() -> None:
    nova = get_profile("nova-lite")
    assert "batchSize" not in resolve_hyperparameters(nova, {})
    assert resolve_hyperparameters(nova, {"batchSize": "1"})["batchSize"] == "1"


def test_customization_type_follows_the_format() -> None:
    assert build("titan-text-express", "pretraining")["customizationType"] == (
        "CONTINUED_PRE_TRAINING"
    )
    with pytest.raises(ConfigError, match="does not support CONTINUED_PRE_TRAINING"):
        build("nova-lite", "pretraining")


def test_distillation_request() -> None:
    req = build(
        "nova-micro", "distillation", teacher="amazon.nova-pro-v1:0", max_response_length=1000
    )
    assert req["customizationType"] == "DISTILLATION"
    assert "hyperParameters" not in req
    assert req["customizationConfig"] == {
        "distillationConfig": {
            "teacherModelConfig": {
                "teacherModelIdentifier": "amazon.nova-pro-v1:0",
                "maxResponseLengthForInference": 1000,
            }
        }
    }
    with pytest.raises(ConfigError, match="needs a teacher"):
        build("nova-micro", "distillation")
    with pytest.raises(ConfigError, match="cannot teach"):
        build("nova-micro", "distillation", teacher="meta.llama3-1-70b-instruct-v1:0")
    with pytest.raises(ConfigError, match="does not support DISTILLATION"):
        build("claude-3-haiku", "claude-messages", teacher="amazon.nova-pro-v1:0")


def test_names_and_token_are_deterministic_and_follow_the_data() -> None:
    first, again = build("nova-lite"), build("nova-lite")
    assert first == again
    other = build("nova-lite", digest="e" * 64)
    assert other["clientRequestToken"] != first["clientRequestToken"]
    assert other["jobName"] != first["jobName"]
    assert first["jobName"].startswith("fineprep-nova-lite-")
    assert build("nova-lite", hyperparameters={"epochCount": 3})["jobName"] != first["jobName"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"job_name": "my_job"}, "jobName"),
        ({"job_name": "x" * 64}, "jobName"),
        ({"job_name": "-leading"}, "jobName"),
        ({"custom_model_name": "model.v1"}, "customModelName"),
        ({"custom_model_name": "a--b"}, "customModelName"),
        ({"role_arn": "arn:aws:iam::12:role/x"}, "roleArn"),
        ({"tags": {"team": "a,b"}}, r"Tags\[0\].value"),
        ({"subnet_ids": ["subnet-1"]}, "vpcConfig"),
        ({"output_uri": "s3://fineprep-data/out put/"}, "outputDataConfig"),
        ({"validation": "s3://fineprep-data/runs/"}, "is a prefix"),
    ],
)
def test_api_constraints_are_enforced(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build("nova-lite", **options)


def test_accepted_names_tags_and_vpc() -> None:
    req = build(
        "nova-lite",
        job_name="Invoices-2024.06+ft",
        custom_model_name="invoices_v1-final",
        role_arn="arn:aws:iam::111122223333:role/FineprepBedrock",
        tags={"project": "fineprep", "cost center": "ml/42"},
        subnet_ids=["subnet-0a1b2c3d"],
        security_group_ids=["sg-0a1b2c3d"],
        model_kms_key_id="alias/models",
    )
    assert req["jobName"] == "Invoices-2024.06+ft"
    assert req["jobTags"] == req["customModelTags"]
    assert req["vpcConfig"] == {
        "subnetIds": ["subnet-0a1b2c3d"],
        "securityGroupIds": ["sg-0a1b2c3d"],
    }
    assert req["customModelKmsKeyId"] == "alias/models"


def test_validation_set_refused_where_the_model_has_none() -> None:
    req = build("titan-image-generator-v2", "image-caption")
    assert "validationDataConfig" not in req
    req["validationDataConfig"] = {"validators": [{"s3Uri": VALID}]}
    with pytest.raises(ConfigError, match="takes no validation set"):
        validate_request(req, "job-request.json")


def test_validate_request_rejects_edited_files() -> None:
    req = build("nova-lite")
    for change, message in [
        ({"hyperParameters": {"epochCount": "9"}}, "range 1-5"),
        ({"hyperParameters": {"epochCount": 2}}, r"hyperParameters\.epochCount.*valid types"),
        ({"baseModelIdentifier": "mistral.mistral-7b"}, "unknown model"),
        ({"customizationType": "IMPORTED"}, "does not support IMPORTED"),
        ({"customizationType": "SOMETHING"}, "customizationType.*not one of"),
        ({"unexpected": 1}, 'Unknown parameter in input: "unexpected"'),
        ({"jobName": "has space"}, "jobName.*pattern"),
    ]:
        with pytest.raises(ConfigError, match=message):
            validate_request({**req, **change}, "job-request.json")


def test_launch_dry_run_needs_no_aws(tmp_path: Path) -> None:
    path = tmp_path / "job-request.json"
    path.write_text(json.dumps(build("llama3-1-8b", "prompt-completion")))
    result = launch(path, dry_run=True)
    assert result.job_arn is None
    assert result.region == "us-west-2"
    with pytest.raises(InputError, match="no such file"):
        launch(tmp_path / "missing.json", dry_run=True)
    path.write_text("[1, 2]")
    with pytest.raises(InputError, match="a job request is a JSON object"):
        launch(path, dry_run=True)


def test_option_tables_and_layering() -> None:
    base = from_table(JobOptions, {"job-name": "a", "hyperparameters": {"epochCount": 2}}, "[job]")
    top = overlay(base, JobOptions(hyperparameters={"learningRate": "0.00002"}), None)
    assert top.job_name == "a"
    assert top.hyperparameters == {"epochCount": 2, "learningRate": "0.00002"}
    with pytest.raises(ConfigError, match=r"\[upload\]: unknown key 'bucket'"):
        from_table(UploadOptions, {"bucket": "x"}, "[upload]")
    opts = overlay(from_table(UploadOptions, {"verify-media": True}, "[upload]"), UploadOptions())
    assert opts.verify_media is True
    assert overlay(UploadOptions(sidecars=True), UploadOptions(sidecars=False)).sidecars is False
