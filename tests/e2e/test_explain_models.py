"""``fineprep explain`` for every code and ``fineprep models``."""

from __future__ import annotations

import json

from fineprep.core.profiles import all_profiles
from fineprep.stages.check.rules import RULES
from tests.e2e.cli import fineprep


def test_explain_every_code() -> None:
    listing = fineprep("explain", "--list")
    assert listing.code == 0
    for code in RULES:
        assert code in listing.out
    doc = json.loads(fineprep("explain", "--list", "--output-format", "json").out)
    assert {item["code"] for item in doc} == set(RULES)
    for item in doc:
        assert item["fix"] and item["why"]


def test_explain_one_code_and_unknown() -> None:
    run = fineprep("explain", "t001")
    assert run.code == 0 and "T001 record-tokens" in run.out and "How to fix" in run.out
    bad = fineprep("explain", "Z999")
    assert bad.code == 2 and "Z999" in bad.err


def test_models_list_and_show() -> None:
    run = fineprep("models")
    assert run.code == 0
    for key in all_profiles():
        assert key in run.out
    show = fineprep("models", "--show", "amazon.nova-lite-v1:0:300k")
    assert show.code == 0 and "nova-lite" in show.out
    doc = json.loads(fineprep("models", "--output-format", "json").out)
    keys = {m["key"] for m in doc}
    assert {"nova-lite", "claude-3-haiku", "llama3-1-8b", "titan-text-express"} <= keys


def test_every_command_has_help() -> None:
    from fineprep.cli.main import COMMANDS

    top = fineprep("--help")
    assert top.code == 0
    for name in COMMANDS:
        assert name in top.out
    for name in ("check", "explain", "models"):
        assert fineprep(name, "--help").code == 0
