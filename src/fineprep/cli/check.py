"""``fineprep check``: validate JSONL files against a Bedrock format and model."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import LocalPath, common_options, manners
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
@click.argument("files", nargs=-1, metavar="FILE...")
@model_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Force the record format (default: detected per file).",
)
@config_options
@selection_options
@click.option(
    "--validation",
    multiple=True,
    metavar="FILE",
    help="A validation file (checked with the model's validation limits).",
)
@click.option(
    "--test",
    "test_files",
    multiple=True,
    metavar="FILE",
    help="A held-out test file (checked, but not counted against Bedrock limits).",
)
@click.option(
    "--dataset",
    is_flag=True,
    help="Check the dataset declared in config ([dataset] train/validation/test).",
)
@click.option(
    "--scope",
    type=click.Choice(["all", "record"]),
    default="all",
    show_default=True,
    help="record: only rules that judge each record alone (for checks of a few changed files; "
    "counts, balance, duplicates and leaks need the whole dataset: --dataset).",
)
@fail_on_option()
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the policy.")
@output_format_option()
@click.option(
    "-o",
    "--output",
    type=LocalPath(dir_okay=False),
    help="Write the report to this file (atomically) instead of stdout.",
)
@click.option(
    "--fix",
    is_flag=True,
    help="Write <name>.fixed.jsonl (safe fixes applied) and "
    "<name>.rejected.jsonl beside each input; the input is not modified.",
)
@click.option("--fix-duplicates", is_flag=True, help="With --fix, also drop exact duplicates.")
@click.option("--stats", is_flag=True, help="Report token statistics (T005; loads the tokenizer).")
@click.option(
    "--exact-tokens", is_flag=True, help="Tokenize every record for T005 instead of a sample."
)
@click.option(
    "--encoding",
    help="Tokenizer for token counts (default: the model's); an estimate unless the model's own.",
)
@click.option(
    "--tokenizer",
    help="auto (the model's token source, the default), bedrock (Bedrock CountTokens for the "
    "records a bound cannot decide, where the model supports it), or a tokenizer name.",
)
@click.option(
    "--tokenizer-file",
    type=click.Path(dir_okay=False),
    help="Count with this vocabulary: a Hugging Face tokenizer.json or a tiktoken rank file "
    "(e.g. Meta's tokenizer.model).",
)
@click.option(
    "--stdin-filename",
    default="<stdin>",
    show_default=True,
    help="Name to show for input read from '-'.",
)
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Reuse the result of an identical earlier run (same files, settings and version; "
    "kept in .fineprep_cache/ or $FINEPREP_CACHE_DIR; FINEPREP_NO_CACHE=1 disables it).",
)
@click.option(
    "--max-line-bytes",
    type=click.IntRange(min=1),
    help="Longest line to read, in bytes (default 64 MiB; config max-line-bytes); a longer "
    "line is one P007 finding, skipped without being held in memory.",
)
@engine_flags
@common_options(progress=True)
def check(**kwargs: Any) -> None:
    """Check Bedrock fine-tuning JSONL FILE(s); '-' reads standard input.

    \b
    Every finding has a stable code (see `fineprep explain CODE`), a severity and
    file:line plus the JSON path. Exit codes: 0 no errors, 1 errors (or --fail-on
    severity) found, 2 the files or config could not be read.

    \b
    Examples:
      fineprep check train.jsonl --model nova-lite
      fineprep check train.jsonl --validation validation.jsonl -m claude-3-haiku
      cat data.jsonl | fineprep check - -m llama3-1-8b --output-format json
    """
    run_guarded(_check, **kwargs)


def _check(
    files: tuple[str, ...],
    model: str | None,
    fmt: str | None,
    config: str | None,
    isolated: bool,
    select: list[str],
    extend_select: list[str],
    ignore: list[str],
    validation: tuple[str, ...],
    test_files: tuple[str, ...],
    dataset: bool,
    scope: str,
    fail_on: str | None,
    exit_zero: bool,
    output_format: str,
    output: str | None,
    fix: bool,
    fix_duplicates: bool,
    stats: bool,
    exact_tokens: bool,
    encoding: str | None,
    tokenizer: str | None,
    tokenizer_file: str | None,
    stdin_filename: str,
    cache: bool,
    max_line_bytes: int | None,
    jobs: int | None = None,
    engine_name: str | None = None,
    scheduler: str | None = None,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.core.errors import ConfigError
    from fineprep.stages.check.engine import check_files

    settings = load_settings(config, isolated=isolated)
    if model:
        settings.model = model
    if fmt:
        settings.format = fmt
    apply_policy(
        settings, select=select, extend_select=extend_select, ignore=ignore, fail_on=fail_on
    )
    settings.scope = scope
    apply_engine(settings, jobs, engine_name, scheduler)
    settings.stats = settings.stats or stats
    settings.exact_tokens = settings.exact_tokens or exact_tokens
    if encoding:
        settings.encoding = encoding
    if tokenizer:
        settings.tokenizer = tokenizer
    if tokenizer_file:
        settings.tokenizer_file = tokenizer_file
    if max_line_bytes:
        settings.max_line_bytes = max_line_bytes
    train, val, tst = list(files), list(validation), list(test_files)
    if dataset:
        declared = settings.dataset
        if not declared.get("train"):
            raise ConfigError("--dataset: no [dataset] train = ... in config")
        base = settings.config_path.parent if settings.config_path else Path()
        for role, into in (("train", train), ("validation", val), ("test", tst)):
            given = declared.get(role)
            if not given:
                continue
            # relative to the config file, as declared_role reads it
            path = str(given) if "://" in str(given) else str(base / given)
            if "://" not in path and not Path(path).exists():
                raise ConfigError(
                    f"{settings.config_path or 'config'}: [dataset] {role} = {given!r}: "
                    f"no such file ({path})",
                    hint="fix the path (relative paths are read from the config's folder)",
                )
            into.append(path)
    if not train and not val and not tst:
        raise click.UsageError("no files to check (give FILE..., '-' for stdin, or --dataset)")
    if fix and "-" in [*train, *val, *tst]:
        from fineprep.core.errors import InputError

        raise InputError(
            "-: --fix writes its fixed copy beside the input file, and standard input has none",
            hint="save the data to a file and run check --fix on that file",
        )
    if output:
        from fineprep.io.outputs import refuse_overwrite
        from fineprep.stages.check.cache import files_read

        refuse_overwrite(output, files_read(settings, [*train, *val, *tst]))
        if fix:
            _refuse_fix_outputs(output, [*train, *val, *tst])
    how = manners()
    how.note(f"config: {settings.config_path or 'none'}; model: {settings.model or 'none'}")
    result = None
    key = None
    if cache and not fix and os.environ.get("FINEPREP_NO_CACHE") is None:
        from fineprep.stages.check import cache as result_cache

        key = result_cache.cache_key(settings, {"train": train, "validation": val, "test": tst})
        result = result_cache.load(key, settings) if key else None
        how.note("result from the cache (--no-cache to check again)" if result else "cache: miss")
    if result is None:
        with ticker("checking", [*train, *val, *tst]):
            result = check_files(
                train, settings, validation=val, test=tst, stdin_name=stdin_filename
            )
        if key:
            result_cache.store(key, result)
    echo_check(result, output_format, output)
    if fix:
        from fineprep.stages.check.fix import write_fixes
        from fineprep.stages.check.selection import resolve_selection

        if fix_duplicates and "D001" not in resolve_selection(settings):
            how.say(
                "--fix-duplicates: D001 was not checked (--scope, --select), so no copy is dropped"
            )
        for path in [*train, *val, *tst]:
            s = write_fixes(result, path, fix_duplicates)
            kept = f"{count(s.kept, 'record')} -> {s.fixed_path}" if s.kept else "no records kept"
            rejected = f", {s.rejected} rejected -> {s.rejected_path}" if s.rejected else ""
            how.say(
                f"{path}: {kept}{rejected} ({count(s.dropped_blank, 'blank line')}, "
                f"{s.whitespace_fixed} whitespace fixes, "
                + (
                    f"{s.whitespace_kept} left as they are (a repeated key or a number's "
                    "spelling would change), "
                    if s.whitespace_kept
                    else ""
                )
                + f"{s.dropped_duplicates} duplicates dropped)"
            )
    sys.exit(0 if exit_zero else result.exit_code)


def _refuse_fix_outputs(output: str, paths: list[str]) -> None:
    """``-o`` naming a file ``--fix`` writes would lose the report (or the fixed records)."""
    from fineprep.core.errors import ConfigError
    from fineprep.io.jsonl import sidecar_path
    from fineprep.io.outputs import same_file
    from fineprep.stages.check.fix import fixed_paths

    for path in paths:
        fixed, rejected = fixed_paths(path)
        for written in (fixed, sidecar_path(fixed), rejected):
            if same_file(output, written):
                raise ConfigError(
                    f"-o {output} is {written}, which --fix writes for {path}",
                    hint="write the report to another path",
                )
