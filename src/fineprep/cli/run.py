"""``fineprep run``: convert, check, split, check the splits, upload, job request, report."""

from __future__ import annotations

import sys
from typing import Any

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import common_options, manners, output_option
from fineprep.cli.options import apply_engine, engine_flags


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="Config file (default: nearest fineprep.toml or pyproject.toml with [tool.fineprep]).",
)
@output_option(
    "Where to write everything (default: [run] output-dir, else fineprep-out/).",
    directory=True,
    old_dir_spelling=True,
)
@common_options()
@engine_flags
def run(**kwargs: Any) -> None:
    """Run the whole pipeline from one config file.

    \b
    Stages: convert ([convert], [[convert.sources]]) -> check -> split ([split])
    -> check the splits -> upload ([upload] to = "s3://...") -> job request ([job]);
    then report.html. Stops at the first stage with errors and says which and why.
    Exit codes: 0 every stage passed, 1 a stage found errors, 2 config or tool failure.

    \b
    Example:
      fineprep run --config fineprep.toml -o out/
    """
    run_guarded(_run, **kwargs)


def _run(
    config: str | None,
    output: str | None,
    output_dir_alias: str | None,
    jobs: int | None = None,
    engine_name: str | None = None,
    scheduler: str | None = None,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.pipeline import run as run_pipeline

    settings = load_settings(config)
    apply_engine(settings, jobs, engine_name, scheduler)
    how = manners()
    how.note(f"config: {settings.config_path or 'none'}")
    result = run_pipeline(settings=settings, out_dir=output or output_dir_alias, say=how.say)
    for stage in result.stages:
        mark = {"ok": "ok  ", "failed": "FAIL", "skipped": "skip"}[stage.status]
        if not how.quiet or stage.status == "failed":
            click.echo(f"[{mark}] {stage.name}: {stage.detail}")
    failed = result.failed
    if failed is not None:
        if result.check is not None and failed.name != "convert":
            from fineprep.report import render

            click.echo(render(result.check, "text", color=how.colour()), nl=False, color=True)
        click.echo(f"stopped at stage '{failed.name}'. Report: {result.report or 'not written'}")
    else:
        click.echo(f"all stages passed. Outputs in {result.out_dir}; report: {result.report}")
    sys.exit(result.exit_code)
