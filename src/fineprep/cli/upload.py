"""``fineprep upload``: re-check a dataset, send it to S3 verified, write manifest + job request."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import common_options, manners, output_option
from fineprep.cli.options import (
    apply_policy,
    config_options,
    fail_on_option,
    model_option,
    output_format_option,
    selection_options,
)


def key_values(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, str]:
    """``-H epochCount=3 -H learningRate=0.00002`` -> a dict (a missing '=' is a usage error)."""
    out: dict[str, str] = {}
    for item in value:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", ctx=ctx, param=param)
        out[key.strip()] = val.strip()
    return out


def aws_options(fn: Any) -> Any:
    """Where AWS is: the standard chain (environment, ~/.aws) unless these say otherwise."""
    fn = click.option("--endpoint-url", help="S3/Bedrock endpoint (VPC endpoint, test server).")(fn)
    fn = click.option("--region", help="AWS region (default: the model's region).")(fn)
    fn = click.option("--profile", help="AWS named profile (default: the standard chain).")(fn)
    return fn


def job_options(fn: Any) -> Any:
    """Options of the CreateModelCustomizationJob request that upload writes."""
    for name, help_text in reversed(
        [
            ("--job-name", "Job name (default: fineprep-MODEL-HASH)."),
            ("--custom-model-name", "Custom model name (default: MODEL-HASH)."),
            ("--role-arn", "Service role for the job (can also be given to launch)."),
            ("--output-uri", "Where Bedrock writes job output (default: PREFIX/output/)."),
            ("--model-kms-key-id", "KMS key that encrypts the custom model."),
            ("--teacher", "Distillation teacher model ID (makes it a DISTILLATION job)."),
            ("--grader-arn", "Reward-function Lambda ARN of an RFT job (rftConfig)."),
        ]
    ):
        fn = click.option(name, help=help_text)(fn)
    fn = click.option(
        "-H",
        "--hyperparameter",
        "hyperparameters",
        multiple=True,
        callback=key_values,
        metavar="KEY=VALUE",
        help="Hyperparameter (checked against the model's range), e.g. -H epochCount=3.",
    )(fn)
    fn = click.option(
        "--tag",
        "tags",
        multiple=True,
        callback=key_values,
        metavar="KEY=VALUE",
        help="Tag for the job and the custom model.",
    )(fn)
    fn = click.option("--subnet-id", "subnet_ids", multiple=True, help="VPC subnet for the job.")(
        fn
    )
    fn = click.option(
        "--security-group-id", "security_group_ids", multiple=True, help="VPC security group."
    )(fn)
    return fn


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, metavar="DIR|FILE...")
@click.option("--to", "to", metavar="S3URI", help="Destination: s3://bucket/prefix/.")
@model_option
@config_options
@selection_options
@click.option("--validation", multiple=True, metavar="FILE", help="The validation file.")
@click.option("--test", "test_files", multiple=True, metavar="FILE", help="A held-out test file.")
@click.option("--force", is_flag=True, help="Upload even if the check finds errors.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check, then list what would be sent (keys, sizes, SHA-256, encryption); "
    "write nothing, in S3 or locally.",
)
@click.option("--kms-key-id", help="Encrypt with SSE-KMS and this key (default: SSE-S3, AES256).")
@click.option(
    "--expected-bucket-owner", metavar="ACCOUNT", help="Refuse a bucket owned by another account."
)
@click.option("--verify-media", is_flag=True, help="Check that every image/video S3 object exists.")
@click.option("--no-sidecars", is_flag=True, help="Do not upload the *.meta.jsonl sidecars.")
@click.option("--multipart-threshold", metavar="SIZE", help="Multipart from this size (64MiB).")
@click.option("--part-size", metavar="SIZE", help="Multipart part size (16MiB).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Parts sent at once (8).")
@click.option("--max-attempts", type=click.IntRange(1, 20), help="Attempts per request (8).")
@aws_options
@job_options
@output_option(
    "Where manifest.json and job-request.json go (default: DIR).",
    directory=True,
    old_dir_spelling=True,
)
@fail_on_option("Lowest severity that blocks the upload (default: error).")
@output_format_option()
@common_options(progress=True)
def upload(**kwargs: Any) -> None:
    """Upload a checked dataset (the folder written by `fineprep split`, or FILEs) to S3.

    \b
    The data is re-checked against the model first; a dataset with errors is not uploaded
    (unless --force). Every object is sent with its SHA-256 checksum, encrypted, and verified
    afterwards; objects already stored with the same checksum are skipped. manifest.json is
    written last (locally and in S3), with job-request.json for `fineprep launch`.
    Exit codes: 0 uploaded, 1 refused because of findings, 2 S3/config/input failure.

    \b
    Examples:
      fineprep upload out/ --to s3://my-data/runs/2024-06-01/ --model nova-lite
      fineprep upload out/ --to s3://my-data/r1/ --kms-key-id alias/data -H epochCount=3
    """
    run_guarded(_upload, **kwargs)


def _upload(
    paths: tuple[str, ...],
    model: str | None,
    config: str | None,
    isolated: bool,
    select: list[str],
    extend_select: list[str],
    ignore: list[str],
    validation: tuple[str, ...],
    test_files: tuple[str, ...],
    fail_on: str | None,
    output_format: str,
    output: str | None,
    output_dir_alias: str | None,
    dry_run: bool,
    **options: Any,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.report import render
    from fineprep.stages.launch.request import JobOptions
    from fineprep.stages.upload.runner import upload as run_upload

    settings = load_settings(config, isolated=isolated)
    apply_policy(
        settings, select=select, extend_select=extend_select, ignore=ignore, fail_on=fail_on
    )
    job = JobOptions(
        **{k: options.pop(k) for k in list(options) if k in JobOptions.__dataclass_fields__}
    )
    options["sidecars"] = False if options.pop("no_sidecars") else None
    for flag in ("force", "verify_media"):  # an absent flag leaves the config's choice
        options[flag] = True if options[flag] else None

    options["output_dir"] = output or output_dir_alias
    how = manners()
    how.note(f"config: {settings.config_path or 'none'}")
    live = {"line": False}
    forced = how.show_progress()
    tty = forced if forced is not None else sys.stderr.isatty()
    started: dict[str, float] = {}

    def say(message: str) -> None:
        if not how.quiet:
            click.echo(("\r\x1b[2K" if live["line"] else "") + message, err=True)
            live["line"] = False

    def bar(key: str, sent: int, total: int) -> None:
        if tty and total:
            from fineprep.io.progress import eta

            name = key.rsplit("/", 1)[-1]
            elapsed = time.monotonic() - started.setdefault(key, time.monotonic())
            left = eta(elapsed, sent / total)
            click.echo(
                f"\r{name}: {sent * 100 // total}% of {total / 1e6:,.1f} MB"
                + (f", {left}" if left else "")
                + "\x1b[K",
                err=True,
                nl=False,
            )
            live["line"] = True

    result = run_upload(
        list(paths),
        model=model,
        settings=settings,
        validation=list(validation),
        test=list(test_files),
        job=job,
        progress=say,
        transfer_progress=bar,
        dry_run=dry_run,
        **options,
    )
    text = render(result.check, output_format, color=how.colour())
    click.echo(text, nl=False, color=True)
    if result.refused:
        click.echo(
            "fineprep: nothing uploaded: fix the errors above (or use --force to upload anyway)",
            err=True,
        )
        sys.exit(1)
    if dry_run:
        for planned in result.plan:
            click.echo(planned.describe())
        sending = sum(p.size for p in result.plan if p.action == "upload")
        click.echo(
            f"would write {result.manifest_uri} last, and {result.manifest_path} and "
            f"{result.job_request_path}"
        )
        how.say(f"fineprep: dry run: nothing sent ({sending:,} bytes would be)")
        sys.exit(0)
    if result.job_request_path is not None and result.manifest is not None:
        request = result.job_request or {}
        role = "" if request.get("roleArn") else " --role-arn ROLE_ARN"
        region = result.manifest["bucket_region"]
        where = "" if region == result.manifest["model"]["regions"][0] else f" --region {region}"
        say(f"next: fineprep launch {result.job_request_path}{role}{where}")
    sys.exit(0)
