"""Regular expressions from config never hang a run (ReDoS).

A completion-schema ``pattern`` (and a ``patternProperties`` key) runs on RE2, which matches in
linear time; patterns RE2 cannot express run on a time-limited engine, and running out of time
is a C002 finding on that record. An invalid pattern is a one-line config error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineprep.api import check
from fineprep.core.errors import ConfigError
from fineprep.core.user_regex import PatternTimeout, compile_user_pattern
from tests.robustness.conftest import run_cli

#: Classic catastrophic-backtracking shapes, each with a text that makes ``re`` take forever.
EVIL = [
    ("^([a-z0-9]+)*$", "a" * 41 + "!"),
    ("^(a+)+$", "a" * 40 + "!"),
    ("^(a|a)*$", "a" * 40 + "!"),
    ("^(a|aa)+$", "a" * 60 + "!"),
    (r"^(\w+\s?)*$", "word " * 20 + "!"),
    ("^([a-zA-Z0-9])(([-.]|[_]+)?([a-zA-Z0-9]+))*(@)", "a" * 40 + "!"),
    ("(x+x+)+y", "x" * 50),
    (r"^(\d+)*\.$", "1" * 50 + "x"),
]


def _records(path: Path, codes: list[str]) -> Path:
    lines = [
        {"prompt": "code?", "completion": json.dumps({"code": code, f"k{i}": 1})}
        for i, code in enumerate(codes)
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(("pattern", "text"), EVIL, ids=[p for p, _ in EVIL])
def test_evil_pattern_runs_in_linear_time(pattern: str, text: str) -> None:
    compiled = compile_user_pattern(pattern, "test")
    assert compiled.engine == "re2"
    assert compiled.search(text) is None


@pytest.mark.parametrize(("pattern", "text"), EVIL, ids=[p for p, _ in EVIL])
def test_evil_pattern_in_a_schema_is_one_finding_per_record(
    tmp_path: Path, pattern: str, text: str
) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": pattern}}}
    data = _records(tmp_path / "train.jsonl", [text, text, "ok"])
    result = check(data, select=["C002"], completion_schema=schema, isolated=True)
    lines = sorted(f.location.line for f in result.findings)
    assert lines[:2] == [1, 2]


def test_lookaround_pattern_runs_time_limited() -> None:
    compiled = compile_user_pattern("^(?=a)(a|a)*$", "test")
    assert compiled.engine == "regex"
    assert compiled.search("aaaa") is not None
    with pytest.raises(PatternTimeout):
        compiled.search("a" * 60 + "!")


def test_invalid_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        compile_user_pattern("([a-z", "completion-schema s.json")


def test_unevaluated_properties_with_pattern_properties_is_refused(tmp_path: Path) -> None:
    schema = {"patternProperties": {"^x": {}}, "unevaluatedProperties": False}
    data = _records(tmp_path / "train.jsonl", ["a"])
    with pytest.raises(ConfigError, match="unevaluatedProperties"):
        check(data, select=["C002"], completion_schema=schema, isolated=True)


def test_cli_bad_pattern_is_one_line_naming_the_schema(tmp_path: Path) -> None:
    schema = tmp_path / "answer.schema.json"
    schema.write_text(json.dumps({"properties": {"code": {"pattern": "(?P<x"}}}))
    (tmp_path / "fineprep.toml").write_text(
        '[tool.fineprep]\ncompletion-schema = "answer.schema.json"\n'
    )
    data = _records(tmp_path / "train.jsonl", ["a"])
    outcome = run_cli(["check", "--no-cache", str(data)], cwd=tmp_path, timeout=60)
    assert outcome.code == 2, outcome.err
    assert len(outcome.err_lines) == 1, outcome.err
    assert "answer.schema.json" in outcome.err and "pattern" in outcome.err


def test_cli_redos_schema_ends_with_findings(tmp_path: Path) -> None:
    schema = {"properties": {"code": {"type": "string", "pattern": "^([a-z0-9]+)*$"}}}
    (tmp_path / "answer.schema.json").write_text(json.dumps(schema))
    (tmp_path / "fineprep.toml").write_text(
        '[tool.fineprep]\ncompletion-schema = "answer.schema.json"\n'
    )
    data = _records(tmp_path / "train.jsonl", ["a" * 41 + "!"] * 3)
    outcome = run_cli(["check", "--no-cache", "--select", "C002", str(data)], cwd=tmp_path)
    assert not outcome.timed_out
    assert outcome.code == 1, outcome.err
    assert outcome.out.count("C002") == 3


def test_augment_rule_patterns_are_bounded_too() -> None:
    """[augment.rules] regexes run over every record: linear time, or no match on a text
    where the time-limited engine runs out of time."""
    from fineprep.stages.augment.rules import regex_rule, sites

    evil = regex_rule("/^(a+)+$/", ["b"])
    assert sites(["a" * 60 + "!"], [evil]) == []
    slow = regex_rule("/^(?=a)(a|a)*$/", ["b"])
    assert sites(["a" * 60 + "!", "aaaa"], [slow])[0].segment == 1
    with pytest.raises(ConfigError, match=r"augment\.rules"):
        regex_rule("/(unclosed/", ["b"])
