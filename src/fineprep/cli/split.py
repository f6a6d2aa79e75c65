"""``fineprep split``: deterministic train/validation(/test) files from one dataset."""

from __future__ import annotations

import sys
from typing import Any

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import common_options, manners, output_option
from fineprep.cli.options import (
    apply_engine,
    apply_policy,
    config_options,
    echo_check,
    engine_flags,
    fail_on_option,
    model_option,
    output_format_option,
    selection_options,
    ticker,
)
from fineprep.core.limits import FORMATS
from fineprep.core.wording import count


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("dataset", metavar="DATASET.jsonl")
@output_option(
    "Directory for train.jsonl, validation.jsonl, test.jsonl, sidecars and split.json.",
    directory=True,
)
@click.option("--validation", type=float, help="Share for validation (default 0.1).")
@click.option("--test", "test_share", type=float, help="Share for a held-out test set (default 0).")
@click.option(
    "--stratify",
    metavar="label|FIELD",
    help="Keep class proportions: 'label' (sidecar label or answer) or a sidecar field.",
)
@click.option(
    "--group",
    metavar="FIELD",
    help="Sidecar field whose records stay together (default: the sidecar's 'group').",
)
@click.option("--seed", type=int, help="Seed of the keyed hash that orders records (default 0).")
@click.option(
    "--max-per-class",
    type=int,
    metavar="N",
    help="Downsample each class to at most N records (deterministic; reported, never silent).",
)
@model_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Force the record format.")
@config_options
@selection_options
@fail_on_option()
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the policy.")
@output_format_option("How to print the findings of the checks run on the outputs.")
@engine_flags
@common_options(progress=True)
def split(**kwargs: Any) -> None:
    """Split DATASET.jsonl into train/validation(/test) files in -o DIR.

    \b
    Assignment is a pure function of the seed and each record's key (sidecar id, else
    the record's content): reruns write identical files, and adding records moves
    almost none of the existing ones. Groups never straddle splits, identical records
    stay together, classes keep their proportions (--stratify), and the model's
    validation limits are applied (--model). Records are copied byte for byte.

    \b
    The outputs are then checked (record counts N, near duplicates D003, leakage D004,
    class balance B; change with --select).
    Exit codes: 0 no errors, 1 errors found, 2 bad input/config.

    \b
    Examples:
      fineprep split data.jsonl -o out --validation 0.1 --stratify label -m nova-lite
      fineprep split data.jsonl -o out --test 0.1 --group ticket --seed 3
    """
    run_guarded(_split, **kwargs)


def _split(
    dataset: str,
    output: str | None,
    validation: float | None,
    test_share: float | None,
    stratify: str | None,
    group: str | None,
    seed: int | None,
    max_per_class: int | None,
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
    jobs: int | None = None,
    engine_name: str | None = None,
    scheduler: str | None = None,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.stages.split.runner import split as run_split

    settings = load_settings(config, isolated=isolated)
    # --select chooses the checks run on the outputs (passed to split below).
    apply_policy(settings, select=None, extend_select=extend_select, ignore=ignore, fail_on=fail_on)
    apply_engine(settings, jobs, engine_name, scheduler)
    how = manners()
    how.note(f"config: {settings.config_path or 'none'}")
    with ticker("splitting", [dataset], passes=2):
        result = run_split(
            dataset,
            output,
            validation=validation,
            test=test_share,
            stratify=stratify,
            group=group,
            seed=seed,
            model=model,
            max_per_class=max_per_class,
            format=fmt,
            settings=settings,
            select=select or None,
        )
    for note in result.notes:
        how.say(f"fineprep split: {note}")
    written = ", ".join(
        f"{path} ({count(result.counts[name], 'record')})" for name, path in result.files.items()
    )
    how.say(f"fineprep split: wrote {written}; {result.out_dir / 'split.json'}")
    if result.check is not None:
        echo_check(result.check, output_format)
    sys.exit(0 if exit_zero else result.exit_code)
