"""``fineprep launch``: submit a job request (or show a job's status)."""

from __future__ import annotations

import json
from typing import Any

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import common_options, manners
from fineprep.cli.upload import aws_options


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("request", required=False, metavar="JOB_REQUEST.json")
@click.option("--role-arn", help="Service role Bedrock assumes (overrides the request's roleArn).")
@click.option("--dry-run", is_flag=True, help="Validate and print the request; submit nothing.")
@click.option("--status", "status", metavar="JOB", help="Show the status of a job (ARN or name).")
@click.option("--max-attempts", type=click.IntRange(1, 20), default=8, show_default=True)
@aws_options
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@common_options()
def launch(**kwargs: Any) -> None:
    """Submit a model customization job from JOB_REQUEST.json (written by `fineprep upload`).

    \b
    The request is checked first (names, S3 URIs, hyperparameter ranges, customization type
    and region of the model); the job ARN is printed on stdout. Submitting the same request
    twice starts one job (its clientRequestToken is derived from the data and the request).

    \b
    Examples:
      fineprep launch out/job-request.json --role-arn arn:aws:iam::111122223333:role/Tuning
      fineprep launch out/job-request.json --dry-run
      fineprep launch --status arn:aws:bedrock:us-east-1:111122223333:model-customization-job/x
    """
    run_guarded(_launch, **kwargs)


def _launch(
    request: str | None,
    role_arn: str | None,
    dry_run: bool,
    status: str | None,
    max_attempts: int,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    output_format: str,
) -> None:
    from fineprep.io.aws import AwsOptions
    from fineprep.stages.launch.submit import job_status
    from fineprep.stages.launch.submit import launch as run_launch

    aws = AwsOptions(
        profile=profile, region=region, endpoint_url=endpoint_url, max_attempts=max_attempts
    )
    if status:
        if request:
            raise click.UsageError("give either JOB_REQUEST.json or --status JOB, not both")
        info = job_status(status, aws=aws)
        if output_format == "json":
            click.echo(json.dumps(info, indent=2, sort_keys=True))
            return
        line = f"{info.get('jobName', status)}: {info.get('status', 'unknown')}"
        if info.get("status") == "Failed" and info.get("failureMessage"):
            line += f" ({info['failureMessage']})"
        click.echo(line)
        if info.get("outputModelArn") and info.get("status") == "Completed":
            click.echo(f"custom model: {info['outputModelArn']}")
        return
    if not request:
        raise click.UsageError("give JOB_REQUEST.json (or --status JOB)")
    result = run_launch(request, role_arn=role_arn, dry_run=dry_run, aws=aws)
    how = manners()
    for note in result.notes:
        how.say(f"fineprep: note: {note}")
    if dry_run:
        click.echo(json.dumps(result.request, indent=2))
        if not result.request.get("roleArn"):
            how.say("fineprep: note: no roleArn yet; pass --role-arn to submit")
        where = f" in {result.region}" if result.region else ""
        how.say(f"fineprep: valid; would be submitted{where}")
        return
    if output_format == "json":
        doc = {
            "jobArn": result.job_arn,
            "region": result.region,
            "alreadySubmitted": result.already,
        }
        click.echo(json.dumps(doc))
        return
    click.echo(result.job_arn)
    verb = "found" if result.already else "submitted"
    how.say(
        f"fineprep: {verb} {result.request['jobName']} in {result.region}; "
        f"follow it with: fineprep launch --status {result.job_arn}"
    )
