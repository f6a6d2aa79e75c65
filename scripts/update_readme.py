"""Regenerates what is derived from the registries: README.md's finding-code table and CLI
reference, and the generated parts of ``schemas/config.schema.json`` (model limits, per-check
options).

Run after adding or changing a rule, a command option or a model-profile field;
tests/unit/test_docs.py and tests/unit/test_config_schema.py fail while anything is stale.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

import click

import fineprep.stages.check.rules  # noqa: F401  (registers every rule the table lists)
from fineprep.cli.main import cli
from fineprep.core.profiles import ModelProfile
from fineprep.stages.check.catalogue import code_table
from fineprep.stages.check.rules import ordered_rules

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCHEMA = ROOT / "schemas" / "config.schema.json"
START, END = "<!-- codes:start -->", "<!-- codes:end -->"
CLI_START, CLI_END = "<!-- cli:start -->", "<!-- cli:end -->"
#: Help is rendered at one width so the README does not depend on the terminal it was made in.
WIDTH = 100
#: Profile fields that describe the model rather than a limit a config may tighten.
NOT_LIMITS = {"key", "sources", "hyperparameters", "customizations", "customization"}


def help_text(path: list[str]) -> str:
    """``fineprep <path> --help`` as the user sees it (at :data:`WIDTH` columns)."""
    command: click.Command = cli
    ctx = _context(cli, "fineprep", None)
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.get_command(ctx, name)
        assert sub is not None, name
        command = sub
        ctx = _context(command, name, ctx)
    return command.get_help(ctx)


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as the command line makes it (the command's own settings, e.g. ``-h``)."""
    settings = {"terminal_width": WIDTH, "max_content_width": WIDTH, **command.context_settings}
    return command.context_class(command, info_name=name, parent=parent, **settings)


def command_paths(command: click.Command = cli, path: list[str] | None = None) -> list[list[str]]:
    """Every command and subcommand, each group before its commands."""
    path = path or []
    out = [path]
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name="fineprep")
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(command_paths(sub, [*path, name]))
    return out


def cli_reference() -> str:
    parts = []
    for path in command_paths():
        title = " ".join(["fineprep", *path])
        parts.append(f"### `{title}`\n\n```text\n{help_text(path).rstrip()}\n```\n")
    return "\n".join(parts)


def _between(text: str, start: str, end: str, body: str) -> str:
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def updated(text: str) -> str:
    text = _between(text, START, END, code_table())
    return _between(text, CLI_START, CLI_END, cli_reference())


def _json_type(annotation: str) -> dict[str, Any]:
    """The JSON Schema of a profile field's value, from its annotation."""
    kind = annotation.replace(" | None", "")
    if kind == "tuple[tuple[int, int], ...]":
        pair = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
        return {"type": "array", "items": pair}
    match = re.fullmatch(r"tuple\[(\w+), \.\.\.\]", kind)
    if match:
        return {"type": "array", "items": _json_type(match.group(1))}
    match = re.fullmatch(r"dict\[str, (.+)\]", kind)
    if match:
        return {"type": "object", "additionalProperties": _json_type(match.group(1))}
    match = re.fullmatch(r"list\[(\w+)\]", kind)
    if match:
        return {"type": "array", "items": _json_type(match.group(1))}
    simple = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}
    return {"type": simple[kind]}


def limits_schema() -> dict[str, Any]:
    """``[limits]`` and ``[models.<key>]``: every profile value a config may override."""
    props = {
        f.name: _json_type(str(f.type))
        for f in dataclasses.fields(ModelProfile)
        if f.name not in NOT_LIMITS
    }
    return {
        "type": "object",
        "description": "Overrides of model-profile values (see `fineprep models --show MODEL`).",
        "additionalProperties": False,
        "properties": props,
    }


def _option_type(text: str) -> str:
    """A check option is a number unless its description gives a true/false default."""
    return "boolean" if re.search(r"\(default (true|false)\)", text) else "number"


def checks_schema() -> dict[str, Any]:
    """``[checks.<CODE>]``: each rule's documented options; a code without options takes none."""
    props: dict[str, Any] = {}
    for rule in ordered_rules():
        if rule.options:
            props[rule.code] = {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    name: {"type": _option_type(text), "description": text}
                    for name, text in rule.options.items()
                },
            }
    return {
        "type": "object",
        "description": "Per-check options, keyed by code (see `fineprep explain CODE`).",
        "propertyNames": {"pattern": "^[A-Z][0-9]{3}$"},
        "properties": props,
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "description": "This code has no options.",
        },
    }


def updated_schema(text: str) -> str:
    doc = json.loads(text)
    doc["$defs"]["limits"] = limits_schema()
    doc["properties"]["checks"] = checks_schema()
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    targets = [(README, updated), (SCHEMA, updated_schema)]
    stale = []
    for path, update in targets:
        text = path.read_text("utf-8")
        new = update(text)
        if new != text:
            stale.append(path.relative_to(ROOT).as_posix())
            if "--check" not in sys.argv:
                path.write_text(new, "utf-8")
    if stale and "--check" in sys.argv:
        sys.exit(f"{', '.join(stale)} stale: run scripts/update_readme.py")


if __name__ == "__main__":
    main()
