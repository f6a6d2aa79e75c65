"""RFT hyperparameters from the command line take decimals in every form the supervised
hyperparameters take (``1e-5``, ``1.00E-05``), read the same way and still range-checked."""

from __future__ import annotations

from typing import Any

import pytest

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile
from fineprep.stages.launch.request import JobOptions, build_request, hyperparameter_value
from fineprep.stages.launch.rft import rft_hyperparameters

ARN = "arn:aws:lambda:us-west-2:111122223333:function:math-grader"
FORMS = ["1e-5", "1E-5", "1.00E-05", "1.0e-5", "+1e-5", ".00001", "0.00001", "10e-6"]


@pytest.mark.parametrize("text", FORMS)
def test_exponent_forms_are_read_as_their_number(text: str) -> None:
    chosen = rft_hyperparameters(get_profile("gpt-oss-20b"), {"learningRate": text})
    assert chosen == {"learningRate": 0.00001}
    assert isinstance(chosen["learningRate"], float)


@pytest.mark.parametrize("text", FORMS)
def test_rft_and_supervised_read_a_decimal_alike(text: str) -> None:
    supervised = hyperparameter_value(get_profile("nova-lite"), "learningRate", text)
    rft = rft_hyperparameters(get_profile("gpt-oss-20b"), {"learningRate": text})
    assert supervised == "0.00001"
    assert rft["learningRate"] == float(supervised)


def build(chosen: dict[str, Any]) -> dict[str, Any]:
    return build_request(
        get_profile("gpt-oss-20b"),
        "rft",
        train_uri="s3://fineprep-data/rft/train.jsonl",
        validation_uri=None,
        output_uri="s3://fineprep-data/rft/output/",
        options=JobOptions(grader_arn=ARN, rft_hyperparameters=chosen),
        data_digest="d" * 64,
    )


def test_an_exponent_learning_rate_reaches_the_request() -> None:
    req = build({"learningRate": "1e-5", "epochCount": "3"})
    hps = req["customizationConfig"]["rftConfig"]["hyperParameters"]
    assert hps == {"learningRate": 0.00001, "epochCount": 3}


@pytest.mark.parametrize("text", ["1e-2", "2E-3", "1e-8", "9.9E-08"])
def test_exponent_forms_are_still_range_checked(text: str) -> None:
    with pytest.raises(ConfigError, match="outside OpenAI gpt-oss-20b's range"):
        build({"learningRate": text})


@pytest.mark.parametrize("text", ["nan", "inf", "-infinity", "0x1p-3", "1_0e-6", "1e", "e-5", ""])
def test_what_is_not_a_decimal_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="must be a decimal number"):
        build({"learningRate": text})


@pytest.mark.parametrize("text", ["1e1", "3.0", "2.5"])
def test_whole_numbers_stay_whole(text: str) -> None:
    with pytest.raises(ConfigError, match="must be a whole number"):
        build({"epochCount": text})
