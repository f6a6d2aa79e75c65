"""A DISTILLATION job (``upload --teacher``) is checked and requested as one: its data by the
distillation rules (at least 100 valid prompts, at most 15,000), no hyperparameters (Bedrock
trains the student itself), and a validation file only because the distillation job page lists
``validationDataConfig`` among the request's optional fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.stages.launch.request import JobOptions, build_request, validate_request
from tests.s3server import (  # noqa: F401  (fixtures)
    FaultProxy,
    aws_fixture,
    make_bucket,
    moto_fixture,
    proxy_fixture,
    run_cli,
    s3_client,
    write_dataset,
)

BUCKET = "fineprep-data"
DEST = f"s3://{BUCKET}/distill/"
TEACHER = "amazon.nova-pro-v1:0"


def upload(aws: FaultProxy, *args: str) -> Any:
    return run_cli(["upload", *args, "--endpoint-url", aws.url, "--isolated"])


@pytest.fixture(name="s3")
def bucket_fixture(aws: FaultProxy) -> FaultProxy:
    """moto with the destination bucket, in the models' region."""
    make_bucket(aws.url, BUCKET)
    return aws


def stored(aws: FaultProxy) -> list[str]:
    listed = s3_client(aws.url).list_objects_v2(Bucket=BUCKET)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_too_few_prompts_for_distillation_are_refused(s3: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out", train=40, validation=10)
    res = upload(s3, str(data), "--to", DEST, "-m", "nova-lite", "--teacher", TEACHER)
    assert res.exit_code == 1, res.stderr
    assert "N001" in res.stdout and "40 valid distillation prompts" in res.stdout
    assert "needs at least 100" in res.stdout
    assert stored(s3) == []
    assert not (data / "job-request.json").exists()


def test_more_prompts_than_distillation_takes_are_refused(s3: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out", train=15_001, validation=0)
    res = upload(s3, str(data), "--to", DEST, "-m", "nova-lite", "--teacher", TEACHER)
    assert res.exit_code == 1, res.stderr
    assert "N002" in res.stdout and "at most 15,000" in res.stdout
    assert stored(s3) == []


def test_enough_prompts_make_a_distillation_request(s3: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out", train=120, validation=10)
    res = upload(s3, str(data), "--to", DEST, "-m", "nova-lite", "--teacher", TEACHER)
    assert res.exit_code == 0, res.stderr
    request = json.loads((data / "job-request.json").read_text())
    assert request["customizationType"] == "DISTILLATION"
    assert "hyperParameters" not in request
    teacher = request["customizationConfig"]["distillationConfig"]["teacherModelConfig"]
    assert teacher == {"teacherModelIdentifier": TEACHER}
    assert request["validationDataConfig"] == {"validators": [{"s3Uri": f"{DEST}validation.jsonl"}]}
    manifest = json.loads((data / "manifest.json").read_text())
    formats = {f["name"]: f.get("format") for f in manifest["files"] if f["role"] == "train"}
    assert formats == {"train.jsonl": "distillation"}


def test_a_hyperparameter_with_a_teacher_is_a_usage_error(s3: FaultProxy, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "out", train=120, validation=10)
    res = upload(
        s3, str(data), "--to", DEST, "-m", "nova-lite", "--teacher", TEACHER, "-H", "epochCount=3"
    )
    assert res.exit_code == 2
    assert "distillation takes no hyperparameters" in res.stderr
    assert "epochCount" in res.stderr
    assert stored(s3) == []


def test_config_hyperparameters_are_left_out_of_a_distillation_job_with_a_note(
    s3: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out", train=120, validation=0)
    config = tmp_path / "fineprep.toml"
    config.write_text(
        '[job]\nhyperparameters = { epochCount = 3 }\nteacher = "amazon.nova-pro-v1:0"\n'
    )
    res = run_cli(
        ["upload", str(data), "--to", DEST, "-m", "nova-lite", "--config", str(config),
         "--endpoint-url", s3.url]
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert "epochCount" in res.stderr and "not sent" in res.stderr
    request = json.loads((data / "job-request.json").read_text())
    assert request["customizationType"] == "DISTILLATION"
    assert "hyperParameters" not in request


def test_a_configured_format_other_than_distillation_is_a_usage_error(
    s3: FaultProxy, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "out", train=120, validation=0)
    config = tmp_path / "fineprep.toml"
    config.write_text('format = "conversation"\n')
    res = run_cli(
        ["upload", str(data), "--to", DEST, "-m", "nova-lite", "--teacher", TEACHER,
         "--config", str(config), "--endpoint-url", s3.url]
    )  # fmt: skip
    assert res.exit_code == 2
    assert "distillation" in res.stderr and "conversation" in res.stderr
    assert stored(s3) == []


def build(**options: Any) -> dict[str, Any]:
    return build_request(
        get_profile("nova-lite"),
        "distillation",
        train_uri="s3://fineprep-data/d/train.jsonl",
        validation_uri=options.pop("validation", None),
        output_uri="s3://fineprep-data/d/output/",
        options=JobOptions(**options),
        data_digest="d" * 64,
    )


def test_build_request_refuses_hyperparameters_for_distillation() -> None:
    with pytest.raises(ConfigError, match="distillation takes no hyperparameters"):
        build(teacher=TEACHER, hyperparameters={"epochCount": "3"})


def test_a_teacher_on_a_job_of_another_type_is_refused() -> None:
    with pytest.raises(ConfigError, match="teacher"):
        build(teacher=TEACHER, customization_type="FINE_TUNING")


def test_a_distillation_request_may_carry_a_validation_file() -> None:
    """The distillation job page lists validationDataConfig as optional, so a request with one
    is one Bedrock takes: built by upload and accepted by launch alike."""
    req = build(teacher=TEACHER, validation="s3://fineprep-data/d/validation.jsonl")
    assert req["validationDataConfig"]["validators"] == [
        {"s3Uri": "s3://fineprep-data/d/validation.jsonl"}
    ]
    assert validate_request(req, "job") is not None
    hand_edited = {**req, "hyperParameters": {"epochCount": "3"}}
    with pytest.raises(ConfigError, match="distillation takes no hyperParameters"):
        validate_request(hand_edited, "job")
