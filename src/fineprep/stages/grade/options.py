"""What a grading run is told: the grader, its timeout, the batch size, the score range and
candidate responses, from the command line over ``[rft]`` config, each checked before any
grader is started (a value Lambda or Bedrock would refuse is a usage error, exit 2)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.profiles import check_lambda_arn, grader_limits
from fineprep.io.aws import AwsOptions
from fineprep.stages.grade.calls import Grader

DEFAULT_BATCH = 4


@dataclass
class GradeOptions:
    """How to grade: the grader (``FILE.py:FUNCTION`` or a Lambda ARN) and its limits."""

    grader: str | None = None
    timeout: float | None = None
    batch_size: int = DEFAULT_BATCH
    score_range: tuple[float, float] | None = None
    responses: str | None = None
    aws: AwsOptions = field(default_factory=AwsOptions)


def _given(*values: Any) -> Any:
    """The first value that was given: a 0 is a value (refused later), only None is unset."""
    return next((v for v in values if v is not None), None)


def options_from(settings: Settings, **cli: Any) -> GradeOptions:
    """``[rft]`` config under the command line's values."""
    section = settings.sections.get("rft", {})
    opts = GradeOptions(
        grader=cli.get("grader") or section.get("grader") or section.get("grader-arn"),
        timeout=_given(cli.get("timeout"), section.get("lambda-timeout")),
        batch_size=_given(cli.get("batch_size"), section.get("grade-batch-size"), DEFAULT_BATCH),
        responses=cli.get("responses"),
        aws=cli.get("aws") or AwsOptions(),
    )
    span = cli.get("score_range")
    if span is not None:
        opts.score_range = score_range(span, "--score-range")
    elif section.get("score-range") is not None:
        where = f"[rft] score-range in {settings.config_path or 'the config'}"
        opts.score_range = score_range(section["score-range"], where)
    return opts


def score_range(span: Any, where: str) -> tuple[float, float]:
    """``span`` as (LOW, HIGH), or a ConfigError naming ``where`` it was given.

    Both ends finite and LOW below HIGH: an infinite top would make every reference answer
    "below the top score" (R005 on every record), and an empty range makes every score R004.
    """
    try:
        low, high = (float(v) for v in (span.split(",") if isinstance(span, str) else span))
    except (TypeError, ValueError):
        raise ConfigError(f"{where} {span}: expected two numbers LOW,HIGH, e.g. 0,1") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(f"{where} {low:g},{high:g}: LOW and HIGH must be finite numbers")
    if not low < high:
        raise ConfigError(f"{where} {low:g},{high:g}: LOW must be below HIGH")
    return (low, high)


def timeout_of(opts: GradeOptions) -> float:
    limits = grader_limits()
    given = opts.timeout
    timeout = float(limits["default_timeout_seconds"] if given is None else given)
    # Lambda's own bounds, for a local grader too: --timeout stands for the timeout the
    # deployed function will have, and Lambda accepts none below 1 second.
    if not 1 <= timeout <= float(limits["max_timeout_seconds"]):
        raise ConfigError(
            f"grader timeout {timeout:g} s: a Lambda timeout is between 1 and "
            f"{limits['max_timeout_seconds']} seconds"
        )
    return timeout


def open_grader(opts: GradeOptions, timeout: float) -> Grader:
    spec = opts.grader
    if not spec:
        raise ConfigError(
            "no grader", hint="pass --grader FILE.py:lambda_handler or --grader arn:aws:lambda:..."
        )
    if spec.startswith("arn:"):
        from fineprep.stages.grade.remote import LambdaGrader

        return LambdaGrader(check_lambda_arn(spec, "--grader"), opts.aws, timeout)
    from fineprep.stages.grade.local import LocalGrader

    return LocalGrader(spec)
