"""Distillation requests: a teacher response length that cannot be one is refused (not sent,
not dropped), and a refused teacher's hint names an identifier that is accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.stages.launch.request import JobOptions, build_request, validate_request
from tests.s3server import run_cli
from tests.unit.test_launch_rules import distillation


def with_length(value: Any, base: str = "amazon.nova-micro-v1:0:128k") -> dict[str, Any]:
    req = distillation("amazon.nova-pro-v1:0")
    req["baseModelIdentifier"] = base
    config = req["customizationConfig"]["distillationConfig"]["teacherModelConfig"]
    config["maxResponseLengthForInference"] = value
    return req


@pytest.mark.parametrize("value", [-5, 0, 2.5, True, "100"])
def test_a_length_that_is_no_positive_whole_number_is_refused(value: Any) -> None:
    with pytest.raises(ConfigError, match="maxResponseLengthForInference"):
        validate_request(with_length(value), "job")


def test_a_positive_length_passes() -> None:
    assert validate_request(with_length(1000), "job") is not None


def test_launch_dry_run_refuses_it_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "jr.json"
    path.write_text(json.dumps(with_length(-5)))
    res = run_cli(["launch", str(path), "--dry-run"])
    assert res.exit_code == 2
    (line,) = res.stderr.strip().splitlines()
    assert "maxResponseLengthForInference=-5: must be a positive whole number" in line


@pytest.mark.parametrize("value", [0, -5, "-5", "many"])
def test_upload_refuses_it_rather_than_dropping_it(value: Any) -> None:
    with pytest.raises(ConfigError, match="maxResponseLengthForInference"):
        build_request(
            get_profile("nova-micro"),
            "distillation",
            train_uri="s3://fineprep-data/r/train.jsonl",
            validation_uri=None,
            output_uri="s3://fineprep-data/r/output/",
            options=JobOptions(teacher="amazon.nova-pro-v1:0", max_response_length=value),
            data_digest="d" * 64,
        )


def test_the_teacher_hint_names_an_identifier_that_is_accepted() -> None:
    req = distillation("amazon.nova-pro-v1:0")
    req["baseModelIdentifier"] = "amazon.nova-pro-v1:0:300k"
    with pytest.raises(ConfigError, match="cannot teach Amazon Nova Pro") as err:
        validate_request(req, "job")
    hint = str(err.value).rsplit("(use ", 1)[1].rstrip(")")
    assert hint == "us.amazon.nova-premier-v1:0"
    fixed = distillation(hint)
    fixed["baseModelIdentifier"] = "amazon.nova-pro-v1:0:300k"
    assert validate_request(fixed, "job") is not None
