"""``customizationConfig.rftConfig`` of a REINFORCEMENT_FINE_TUNING job: grader and hyperparameters.

Unlike ``hyperParameters`` of supervised jobs (a map of strings), ``rftConfig.hyperParameters``
is a typed structure (integers, a float, an enum) with ranges in the API model. AWS documents no
defaults, so only the values the user chose are sent; each is checked against the model data's
range before a paid job can fail on it. The grader is the ARN of a Lambda function, checked
against the API's pattern.
"""

from __future__ import annotations

import math
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import HyperParameter, ModelProfile, check_lambda_arn
from fineprep.stages.launch.numbers import parse_number


def rft_value(hp: HyperParameter, value: Any, model: str) -> int | float | str:
    """One RFT hyperparameter as the API types it; strings from the command line are parsed."""
    name = hp.name
    if hp.type == "enum":
        if value not in hp.allow:
            raise ConfigError(f"hyperparameter {name}={value!r}: must be {' | '.join(hp.allow)}")
        return str(value)
    number: int | float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int) or (isinstance(value, float) and hp.type == "float"):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):  # read as the supervised hyperparameters are (1e-5 too)
        parsed = parse_number(value, hp.type)
        if parsed is not None:
            number = int(parsed) if hp.type == "int" else float(parsed)
    if isinstance(number, float) and not math.isfinite(number):
        number = None
    if number is None:
        kind = "a whole number" if hp.type == "int" else "a decimal number"
        raise ConfigError(f"hyperparameter {name}={value!r}: must be {kind}")
    if (hp.min is not None and number < hp.min) or (hp.max is not None and number > hp.max):
        lo = "" if hp.min is None else f"{hp.min:g}"
        hi = "" if hp.max is None else f"{hp.max:g}"
        raise ConfigError(f"hyperparameter {name}={number:g} is outside {model}'s range {lo}-{hi}")
    return float(number) if hp.type == "float" else int(number)


def rft_hyperparameters(profile: ModelProfile, chosen: dict[str, Any]) -> dict[str, Any]:
    """The chosen RFT hyperparameters, typed and range-checked (unknown names refused)."""
    out: dict[str, Any] = {}
    for name, value in chosen.items():
        hp = profile.hyperparameter(name)
        if hp is None:
            known = ", ".join(h.name for h in profile.hyperparameters) or "none"
            raise ConfigError(
                f"hyperparameter {name!r} is not one {profile.name} RFT jobs take ({known})"
            )
        out[name] = rft_value(hp, value, profile.name)
    return out


def rft_config(
    profile: ModelProfile, grader_arn: str | None, chosen: dict[str, Any]
) -> dict[str, Any]:
    """``{"rftConfig": {...}}`` for the request."""
    if not grader_arn:
        raise ConfigError(
            "a reinforcement fine-tuning job needs its reward function",
            hint="pass --grader-arn arn:aws:lambda:REGION:ACCOUNT:function:NAME (test it first "
            "with `fineprep grade DATASET --grader ARN`)",
        )
    config: dict[str, Any] = {
        "graderConfig": {"lambdaGrader": {"lambdaArn": check_lambda_arn(grader_arn)}}
    }
    hps = rft_hyperparameters(profile, chosen)
    if hps:
        config["hyperParameters"] = hps
    return {"rftConfig": config}


def validate_rft(profile: ModelProfile, config: Any, hps: dict[str, Any], where: str) -> None:
    """A submitted RFT request: the grader ARN and every hyperparameter, as ``rft_config``."""
    if hps:
        raise ConfigError(
            f"{where}: REINFORCEMENT_FINE_TUNING takes its hyperparameters in "
            "customizationConfig.rftConfig.hyperParameters, not hyperParameters"
        )
    rft = config.get("rftConfig") if isinstance(config, dict) else None
    if not isinstance(rft, dict):
        raise ConfigError(f"{where}: REINFORCEMENT_FINE_TUNING needs customizationConfig.rftConfig")
    arn = rft.get("graderConfig", {}).get("lambdaGrader", {}).get("lambdaArn")
    check_lambda_arn(arn, f"{where}: rftConfig.graderConfig.lambdaGrader.lambdaArn")
    chosen = rft.get("hyperParameters", {})
    rft_hyperparameters(profile, chosen)
    for name, value in chosen.items():
        want = profile.hyperparameter(name)
        kind = want.type if want else ""
        ok = (
            isinstance(value, str)
            if kind == "enum"
            else isinstance(value, int) and not isinstance(value, bool)
            if kind == "int"
            else isinstance(value, (int, float)) and not isinstance(value, bool)
        )
        if not ok:
            shown = "string" if kind == "enum" else "whole number" if kind == "int" else "number"
            raise ConfigError(
                f"{where}: rftConfig.hyperParameters.{name} must be a JSON {shown}, not {value!r}"
            )
