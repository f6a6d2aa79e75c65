"""``fineprep augment``: variants for the classes or the whole set that fall short."""

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
from fineprep.core.limits import FORMATS
from fineprep.core.wording import count


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("dataset", metavar="DATASET.jsonl")
@click.option(
    "-o",
    "--output",
    type=LocalPath(dir_okay=False),
    help="The augmented dataset (.jsonl; its sidecar .meta.jsonl is written beside it).",
)
@click.option(
    "--to-min",
    is_flag=True,
    default=None,
    help="Reach the model's minimum (for the training file a split leaves) and B002's "
    "minimum per class.",
)
@click.option("--per-class", type=int, metavar="N", help="Raise every class below N to N.")
@click.option("--target", type=int, metavar="N", help="Raise the dataset to N records.")
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    metavar="rules|template|bedrock",
    help="How variants are made, tried in the order given (default: rules).",
)
@click.option("--seed", type=int, help="Seed of the keyed hash that orders originals (default 0).")
@click.option(
    "--max-per-record",
    type=int,
    metavar="N",
    help="At most N variants of one original (default 3).",
)
@click.option(
    "--system", is_flag=True, default=None, help="Reword system prompts too (default: never)."
)
@click.option(
    "--held-out",
    type=float,
    metavar="SHARE",
    help="Share a later split takes out of training, for --to-min (default: [split]'s "
    "validation + test, 0.1 when unset; 0 if you will not split).",
)
@click.option(
    "--validation",
    "validation",
    multiple=True,
    metavar="FILE",
    help="A validation file no variant may leak into (D004; repeatable). A split's own are "
    "found from the split.json beside DATASET.",
)
@click.option(
    "--test", "test", multiple=True, metavar="FILE", help="A test file, as for --validation."
)
@click.option(
    "--template",
    "templates",
    multiple=True,
    metavar="TEMPLATE",
    help="An alternative prompt template for --strategy template (Jinja2, like convert's "
    "--prompt; repeat for more).",
)
@click.option("--bedrock-model", help="Model ID that paraphrases for --strategy bedrock.")
@click.option("--max-calls", type=int, help="Bedrock calls allowed in this run (default 100).")
@click.option(
    "--max-tokens", type=int, help="Bedrock tokens (in + out) allowed in this run (default 100000)."
)
@click.option("--retries", type=int, help="Retries of a throttled or failed call (default 3).")
@model_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Force the record format.")
@config_options
@selection_options
@fail_on_option()
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the policy.")
@output_format_option("How to print the findings of the checks run on the output.")
@aws_options
@common_options()
def augment(**kwargs: Any) -> None:
    """Add variants of existing records to DATASET.jsonl until the goal is met; write -o OUT.

    \b
    The originals are copied byte for byte; each new record's sidecar line names its original
    (augmented_from), keeps its group and says its strategy, so `fineprep split` keeps it with
    its original and check counts it apart (N, B, B005). Only user and prompt text is
    reworded, never answers. A variant identical to any record, or close to another variant
    of the same original, is not written.

    \b
    Strategies: rules (built-in rephrasings and [augment.rules]), template (convert's prompt
    re-rendered with --template), bedrock (paraphrases from the Converse API, within
    --max-calls and --max-tokens, each checked).
    Exit codes: 0 goal met and no errors, 1 goal not met or errors, 2 bad input/config.

    \b
    Examples:
      fineprep augment small.jsonl -o more.jsonl --to-min -m claude-3-haiku
      fineprep augment data.jsonl -o more.jsonl --per-class 20 --strategy rules,template
      fineprep augment data.jsonl -o more.jsonl --target 200 --strategy bedrock \\
          --bedrock-model amazon.nova-lite-v1:0 --max-calls 150 --region us-east-1
    """
    run_guarded(_augment, **kwargs)


def _augment(
    dataset: str,
    output: str | None,
    to_min: bool | None,
    per_class: int | None,
    target: int | None,
    strategies: tuple[str, ...],
    seed: int | None,
    max_per_record: int | None,
    system: bool | None,
    held_out: float | None,
    validation: tuple[str, ...],
    test: tuple[str, ...],
    templates: tuple[str, ...],
    bedrock_model: str | None,
    max_calls: int | None,
    max_tokens: int | None,
    retries: int | None,
    model: str | None,
    fmt: str | None,
    config: str | None,
    isolated: bool,
    select: list[str],
    extend_select: list[str],
    ignore: list[str],
    fail_on: str | None,
    exit_zero: bool,
    output_format: str,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.stages.augment.runner import augment as run_augment

    settings = load_settings(config, isolated=isolated)
    apply_policy(settings, select=None, extend_select=extend_select, ignore=ignore, fail_on=fail_on)
    bedrock = {
        "model": bedrock_model,
        "max_calls": max_calls,
        "max_tokens": max_tokens,
        "retries": retries,
        "region": region,
        "endpoint_url": endpoint_url,
        "profile": profile,
    }
    result = run_augment(
        dataset,
        output,
        to_min=to_min,
        per_class=per_class,
        target=target,
        strategy=list(strategies) or None,
        seed=seed,
        max_per_record=max_per_record,
        system=system,
        held_out=held_out,
        validation=list(validation),
        test=list(test),
        templates=templates,
        model=model,
        format=fmt,
        settings=settings,
        select=select or None,
        bedrock=bedrock,
    )
    how = manners()
    for line in [*result.notes, *result.summary()]:
        how.say(f"fineprep augment: {line}")
    how.say(
        f"fineprep augment: wrote {result.output} ({count(result.records, 'record')}) "
        f"and {result.sidecar}"
    )
    if result.check is not None:
        echo_check(result.check, output_format)
    sys.exit(0 if exit_zero else result.exit_code)
