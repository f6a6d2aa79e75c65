"""``fineprep grade``: dry-run an RFT reward function over the dataset before the job."""

from __future__ import annotations

import sys
from typing import Any

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import LocalPath, common_options, manners
from fineprep.cli.options import (
    apply_policy,
    config_options,
    echo_check,
    fail_on_option,
    model_option,
    output_format_option,
    selection_options,
)
from fineprep.cli.upload import aws_options


def _score_range(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[float, float] | None:
    if value is None:
        return None
    from fineprep.core.errors import ConfigError
    from fineprep.stages.grade.options import score_range

    try:
        return score_range(value, "")
    except ConfigError as exc:  # a usage error: click says which option, exit 2
        raise click.BadParameter(exc.message.lstrip()) from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("dataset", metavar="DATASET")
@click.option(
    "--grader",
    metavar="FILE.py:FUNCTION|ARN",
    help="The reward function: a local handler (run in its own process with a time limit) or "
    "a deployed Lambda's ARN (called through boto3). Default: [rft] grader in config.",
)
@model_option
@click.option(
    "--responses",
    type=click.Path(exists=True, dir_okay=False),
    help="Candidate responses, line for line with DATASET (a JSON string or "
    '{"response": ...} per line, as many lines as DATASET: refused otherwise), graded instead '
    "of the reference answers.",
)
@click.option(
    "--score-range",
    callback=_score_range,
    metavar="LOW,HIGH",
    help="The scores the grader is meant to return, two finite numbers with LOW below HIGH "
    "(R004 outside, R005 below HIGH).",
)
@click.option(
    "--timeout",
    type=float,
    help="The grader Lambda's timeout in seconds, between 1 and 900 as Lambda allows (default "
    "3, the Lambda default). A local grader is held to the same limit.",
)
@click.option("--batch-size", type=int, help="Records per grader call (default 4).")
@config_options
@selection_options
@fail_on_option()
@output_format_option()
@click.option(
    "-o",
    "--output",
    type=LocalPath(dir_okay=False),
    help="Write the report to this file (atomically) instead of stdout.",
)
@aws_options
@common_options()
def grade(**kwargs: Any) -> None:
    """Call the RFT reward function (grader) on every record of DATASET, as Bedrock will.

    \b
    Each record becomes a grader event item {id, messages, metadata} with the reference
    answer (or --responses) as the model's response, in batches. Reported: exceptions per
    record (R001), timeouts (R002), answers Bedrock cannot read (R003), scores outside
    --score-range (R004), reference answers below the top score (R005), slow batches (R006),
    the score distribution (R007, a chart in the HTML report) and constant scores (R008).
    A Lambda's throttles and transient errors are retried (5 attempts, waits doubling from
    0.5 s); a batch still refused is R001 on its records, and after 3 in a row the rest is
    one R001 "not sent".
    Exit codes: 0 no errors, 1 errors (or --fail-on severity), 2 bad input or grader.

    \b
    Examples:
      fineprep grade train.jsonl --grader grader.py:lambda_handler --score-range 0,1
      fineprep grade train.jsonl --grader arn:aws:lambda:us-west-2:111122223333:function:g
      fineprep grade train.jsonl --grader grader.py:lambda_handler --responses samples.jsonl
    """
    run_guarded(_grade, **kwargs)


def _grade(
    dataset: str,
    grader: str | None,
    model: str | None,
    responses: str | None,
    score_range: tuple[float, float] | None,
    timeout: float | None,
    batch_size: int | None,
    config: str | None,
    isolated: bool,
    select: list[str],
    extend_select: list[str],
    ignore: list[str],
    fail_on: str | None,
    output_format: str,
    output: str | None,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.io.aws import AwsOptions
    from fineprep.stages.grade.options import options_from
    from fineprep.stages.grade.runner import grade as run_grade

    settings = load_settings(config, isolated=isolated)
    if model:
        settings.model = model
    apply_policy(
        settings, select=select, extend_select=extend_select, ignore=ignore, fail_on=fail_on
    )
    aws = AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url)
    if output:
        from fineprep.io.outputs import refuse_overwrite
        from fineprep.stages.check.cache import files_read

        refuse_overwrite(output, files_read(settings, [str(dataset)]))
    opts = options_from(
        settings,
        grader=grader,
        timeout=timeout,
        batch_size=batch_size,
        score_range=score_range,
        responses=responses,
        aws=aws,
    )
    manners().note(f"config: {settings.config_path or 'none'}")
    result = run_grade(dataset, settings, opts)
    echo_check(result, output_format, output)
    sys.exit(result.exit_code)
