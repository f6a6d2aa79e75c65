"""``fineprep convert``: tables, JSON and document extractions -> Bedrock JSONL + sidecar."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import LocalPath, common_options, manners
from fineprep.cli.options import apply_engine, config_options, engine_flags, model_option

TARGET_CHOICES = ("prompt-completion", "conversation", "claude-messages", "pretraining", "rft")


F = TypeVar("F", bound=Callable[..., Any])


def _template(name: str, what: str) -> Callable[[F], F]:
    return click.option(f"--{name}", metavar="TEMPLATE", help=what)


def _field(name: str, what: str) -> Callable[[F], F]:
    return click.option(f"--{name}", metavar="FIELD", help=what)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("sources", nargs=-1, metavar="SOURCE...")
@click.option(
    "-o",
    "--output",
    metavar="OUT.jsonl",
    type=LocalPath(dir_okay=False),
    help="The Bedrock JSONL file to write.",
)
@click.option(
    "--to",
    type=click.Choice(TARGET_CHOICES),
    help="Record format (default: the first format the --model takes).",
)
@model_option
@_template("prompt", "User text (default: the field 'prompt').")
@_template("completion", "Answer text (default: the field 'completion').")
@_template("system", "System text (conversation, claude-messages).")
@_template("input", "Pre-training text (default: the field 'text').")
@_field("completion-json", "Field holding a JSON answer, written as canonical JSON.")
@_field("images", "Field with S3 image/video URIs (one, a list, or separated).")
@click.option("--image-separator", metavar="SEP", help="Separator of URIs in --images text.")
@click.option("--bucket-owner", metavar="ACCOUNT", help="12-digit owner of the media bucket.")
@click.option(
    "--media-dir",
    metavar="DIR=s3://BUCKET/PREFIX/",
    help="Media prepared locally under DIR and copied to the S3 prefix: paths under DIR become "
    "URIs, and every file is checked against the model's media limits.",
)
@_field("reference-answer", "rft: field with the reference answer (default: reference_answer).")
@click.option(
    "--grader-field",
    "grader_fields",
    multiple=True,
    metavar="NAME[=FIELD]",
    help="rft: a field copied into each record for the grader (repeatable).",
)
@_field("label", "Field written to the sidecar as the record's label.")
@_field("group", "Field written to the sidecar as the record's group (kept together by split).")
@_field("id", "Field written to the sidecar as the record's id.")
@click.option(
    "--source",
    metavar="KIND",
    help="Source kind for every input: csv, xlsx, parquet, arrow, json, jsonl, openai-chat, "
    "sharegpt, alpaca, textract, azure-di, docai, bda, comprehend, idp (default: from the "
    "extension and content).",
)
@click.option(
    "-S",
    "--source-option",
    "source_options",
    multiple=True,
    metavar="KEY=VALUE",
    callback=lambda ctx, param, value: _pairs(value),
    help="A reader option, e.g. -S unit=page for Textract (repeatable).",
)
@click.option("--encoding", help="Text encoding of CSV inputs (default: detected).")
@click.option("--delimiter", help="CSV delimiter: , ; | tab (default: detected).")
@click.option(
    "--no-header",
    is_flag=True,
    default=None,
    help="CSV/XLSX inputs have no header row: columns are c1, c2, ...",
)
@click.option("--sheet", metavar="NAME|N", help="Worksheet of XLSX inputs (default: the first).")
@click.option(
    "--null-as",
    metavar="TEXT",
    help="Write null/NaN fields as TEXT (default: a null field rejects its row).",
)
@click.option(
    "--control-chars",
    type=click.Choice(["strip", "reject"]),
    help="Control characters in record text: remove and count them (default), or reject the row.",
)
@click.option(
    "--chunk-tokens",
    type=click.IntRange(1),
    help="Pre-training chunk budget in tokens (default: 85% of the model's limit).",
)
@click.option("--overlap", type=click.IntRange(0), help="Tokens repeated between chunks.")
@click.option(
    "--min-chunk-tokens", type=click.IntRange(0), help="Merge a final chunk shorter than this."
)
@click.option(
    "--rejects",
    metavar="FILE",
    help="Where rows that cannot be converted go (default: <out>.rejects.jsonl when any).",
)
@click.option(
    "--expectations",
    metavar="SUITE.json",
    help="great-expectations suite to validate the source table with first (G001).",
)
@config_options
@engine_flags
@common_options(progress=True)
def convert(**kwargs: Any) -> None:
    """Convert SOURCE files or folders (tables, chat files, document-AI outputs) to Bedrock JSONL.

    \b
    Writes OUT.jsonl (Bedrock keys only), OUT.meta.jsonl (id, label, group and source
    location, line for line), when rows cannot be converted a rejects file with the
    reason for each, and last OUT.set.json (their SHA-256: check tells a pair from two
    runs apart). One run writes an output at a time. Templates are Jinja2 over the
    row's fields ({{ title }}, {{ meta.author.name }}); a bare field name (--prompt
    text) means {{ text }}.
    CSV rows are numbered like a spreadsheet: the header is row 1. A folder is read
    file by file; a file that cannot be read is one line in the rejects file and
    the others still convert. A null field rejects its row unless the template has
    a default ({{ note | default("") }}) or --null-as is given.
    Every option can also be set in [tool.fineprep.convert] (kebab-case keys, paths
    relative to the config file); reader options go in [tool.fineprep.convert.source],
    several sources with their own mappings in [[tool.fineprep.convert.sources]].

    \b
    Exit codes: 0 every row converted, 1 some rows or files rejected (or the source
    failed a table-level expectation), 2 nothing converted, or a config or input error.

    \b
    Examples:
      fineprep convert reviews.csv -o train.jsonl -m titan-text-express \\
          --prompt "Review: {{ Text }}" --completion Score --label Score
      fineprep convert shard.parquet -o train.jsonl -m nova-micro \\
          --prompt text --completion intent --label intent
      fineprep convert docs.jsonl -o cpt.jsonl --to pretraining -m titan-text-express
      fineprep convert chats.jsonl -o train.jsonl -m nova-lite     # OpenAI/ShareGPT/Alpaca
      fineprep convert azure-results/ -o train.jsonl -m nova-lite \\
          --prompt "{{ document.text }}" --completion "{{ document.fields_json }}"
    """
    run_guarded(_convert, **kwargs)


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def _convert(
    sources: tuple[str, ...],
    config: str | None,
    isolated: bool,
    jobs: int | None = None,
    engine_name: str | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> None:
    from fineprep.core.config import load_settings
    from fineprep.io.progress import InputMeter, Progress
    from fineprep.stages.convert.runner import convert as run_convert

    settings = load_settings(config, isolated=isolated)
    how = manners()
    how.note(f"config: {settings.config_path or 'none'}")
    apply_engine(settings, jobs, engine_name, scheduler)
    stream = sys.stderr
    forced = how.show_progress()
    meter = InputMeter(sources) if forced is not False and sources else None
    if forced is None:
        bar = Progress.for_terminal(stream, meter)
    else:
        bar = Progress(stream, enabled=forced, meter=meter)
    result = run_convert(list(sources), settings=settings, progress=bar, **options)
    for finding in result.findings:
        where = finding.location.source or finding.location.path
        click.echo(
            f"{where}: {finding.code} [{finding.severity.value}] {finding.message}", err=True
        )
    for line in result.summary():
        how.say(line)
    if result.stopped:
        click.echo(
            f"fineprep: {'error: ' if result.exit_code == 2 else ''}{result.stopped}", err=True
        )
    sys.exit(result.exit_code)
