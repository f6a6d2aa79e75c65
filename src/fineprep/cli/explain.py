"""``fineprep explain CODE``: what a finding means, why it matters and how to fix it."""

from __future__ import annotations

import textwrap

import click

from fineprep.cli.main import run_guarded
from fineprep.cli.manners import common_options


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code", required=False)
@click.option("--list", "list_all", is_flag=True, help="List every finding code.")
@click.option(
    "--output-format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@common_options()
def explain(code: str | None, list_all: bool, output_format: str) -> None:
    """Explain finding CODE (e.g. T001), or list every code with --list."""
    run_guarded(_explain, code, list_all, output_format)


def _explain(code: str | None, list_all: bool, output_format: str) -> None:
    import orjson

    from fineprep.stages.check.catalogue import code_table
    from fineprep.stages.check.rules import RULES, ordered_rules

    if list_all or code is None:
        if output_format == "json":
            click.echo(
                orjson.dumps(
                    [_rule_dict(r) for r in ordered_rules()], option=orjson.OPT_INDENT_2
                ).decode()
            )
        elif output_format == "markdown":
            click.echo(code_table())
        else:
            for r in ordered_rules():
                flag = "" if r.default_enabled else " (opt-in)"
                click.echo(f"{r.code}  {r.name:<24} {r.severity.value:<8}{r.summary}{flag}")
        return
    rule = RULES.find(code.strip().upper())
    if rule is None:
        from fineprep.core.errors import did_you_mean

        known = [r.code for r in ordered_rules()]
        raise click.UsageError(
            f"unknown finding code {repr(code[:40]) if code.strip() else '(empty)'}"
            f"{did_you_mean(code.strip().upper(), known)}; "
            "`fineprep explain --list` lists them"
        )
    if output_format == "json":
        click.echo(orjson.dumps(_rule_dict(rule), option=orjson.OPT_INDENT_2).decode())
        return
    e = rule.explanation
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    out = [f"{rule.code} {rule.name} [{rule.severity.value}]", "", wrap.fill(rule.summary), ""]
    for title, body in (
        ("What it checks", e.what),
        ("Why it matters", e.why),
        ("Example", e.example),
        ("How to fix", e.fix),
    ):
        out += [f"{title}:", wrap.fill(body), ""]
    if rule.options:
        out.append("Options ([checks." + rule.code + "] in config):")
        out += [f"  {k}: {v}" for k, v in rule.options.items()]
        out.append("")
    notes = []
    if rule.fixable:
        notes.append("fixable with `fineprep check --fix`")
    if rule.mandatory:
        notes.append("cannot be ignored")
    if not rule.default_enabled:
        notes.append("off by default (enable with --select " + rule.code + ")")
    if notes:
        out.append("Note: " + "; ".join(notes) + ".")
    click.echo("\n".join(out).rstrip())


def _rule_dict(rule: object) -> dict[str, object]:
    from fineprep.stages.check.rules import Rule

    assert isinstance(rule, Rule)
    e = rule.explanation
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "summary": rule.summary,
        "what": e.what,
        "why": e.why,
        "example": e.example,
        "fix": e.fix,
        "fixable": rule.fixable,
        "default_enabled": rule.default_enabled,
        "mandatory": rule.mandatory,
        "options": rule.options,
    }
