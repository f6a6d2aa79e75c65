"""``fineprep models``: the Bedrock model profiles fineprep validates against."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import common_options

if TYPE_CHECKING:
    from fineprep.core.profiles import ModelProfile


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--show", metavar="MODEL", help="Show every value of one profile, with sources.")
@click.option(
    "--legacy/--no-legacy", default=True, show_default=True, help="Include legacy models."
)
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@common_options()
def models(show: str | None, legacy: bool, output_format: str) -> None:
    """List the customizable Bedrock models (current and legacy) and their limits."""
    run_guarded(_models, show, legacy, output_format)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return ", ".join(_fmt(v) for v in value) or "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, str) and not value.isprintable():
        return repr(value)  # a reserved "\nHuman:" shown as written, on its row
    return str(value)


def _models(show: str | None, legacy: bool, output_format: str) -> None:
    import orjson

    from fineprep.core.profiles import all_profiles, get_profile
    from fineprep.tokens.source import profile_source

    if show:
        p = get_profile(show)
        data = dataclasses.asdict(p)
        data["token_counts"] = profile_source(p).describe()
        if output_format == "json":
            click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
            return
        click.echo(f"{p.name} ({p.key})" + ("  [legacy]" if p.legacy else ""))
        click.echo(f"  {'token counts':<32} {profile_source(p).describe()}")
        for field in dataclasses.fields(p):
            if field.name in {"sources", "hyperparameters", "name", "key"}:
                continue
            value = getattr(p, field.name)
            source = p.sources.get(field.name)
            flag = " (UNCONFIRMED)" if field.name in p.unconfirmed else ""
            line = f"  {field.name:<32} {_fmt(value)}{flag}"
            click.echo(line + (f"\n  {'':<32} source: {source}" if source else ""))
        _hyperparameters(p)
        for ctype in p.customization_types:
            if ctype == p.active_customization:
                continue
            q = p.for_customization(ctype)
            click.echo(f"  {ctype} jobs differ in:")
            for name in p.customizations.get(ctype, {}):
                if name in {"sources", "hyperparameters"}:
                    continue
                source = q.sources.get(name)
                click.echo(f"    {name:<30} {_fmt(getattr(q, name))}")
                if source:
                    click.echo(f"    {'':<30} source: {source}")
            _hyperparameters(q)
        return
    profiles = [p for p in all_profiles().values() if legacy or not p.legacy]
    if output_format == "json":
        click.echo(
            orjson.dumps(
                [dataclasses.asdict(p) for p in profiles], option=orjson.OPT_INDENT_2
            ).decode()
        )
        return
    click.echo(
        f"{'MODEL':<26}{'BASE MODEL ID':<46}{'REGION':<11}{'RECORDS':<14}{'FORMATS':<32}"
        "CUSTOMIZATION TYPES"
    )
    for p in profiles:
        records = f"{_fmt(p.min_records)}-{_fmt(p.max_records)}"
        tag = " (legacy)" if p.legacy else ""
        click.echo(
            f"{p.key:<26}{p.base_model_id:<46}{p.region:<11}{records:<14}"
            f"{', '.join(p.formats):<32}{', '.join(p.customization_types)}{tag}"
        )


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _hyperparameters(p: ModelProfile) -> None:
    if not p.hyperparameters:
        return
    click.echo(f"  hyperparameters of {p.active_customization} (min-max, default):")
    for hp in p.hyperparameters:
        if hp.allow and hp.type == "enum":
            span = " | ".join(hp.allow)
        else:
            span = f"{_bound(hp.min)}-{_bound(hp.max)}"
        default = "none (sent only when chosen)" if hp.default is None else f"{hp.default:g}"
        click.echo(f"    {hp.name:<28} {hp.type} {span}, default {default}")
