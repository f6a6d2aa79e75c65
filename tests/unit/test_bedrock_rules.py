"""Rules as Bedrock states them: file roles, distillation drops, schemaVersion, file endings,
model lifecycle. Each test pins one documented behaviour (sources in the model data)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from fineprep.api import check
from fineprep.core.errors import ConfigError
from fineprep.core.model import Severity
from fineprep.core.profiles import get_profile
from fineprep.stages.check.rules.counts import lifecycle_message

PROMPT = {"schemaVersion": "bedrock-conversation-2024", "messages": []}


def prompt(text: str) -> bytes:
    rec = {**PROMPT, "messages": [{"role": "user", "content": [{"text": text}]}]}
    return orjson.dumps(rec) + b"\n"


def pc(i: int) -> bytes:
    return orjson.dumps({"prompt": f"question {i}", "completion": f"answer {i}"}) + b"\n"


def test_a_file_name_never_makes_a_file_validation_data(tmp_path: Path) -> None:
    for name in ("claude_dev.jsonl", "val.jsonl", "eval-set.jsonl", "holdout.jsonl", "test.jsonl"):
        path = tmp_path / name
        path.write_bytes(b"".join(pc(i) for i in range(20)))
        result = check(path, model="llama3-1-8b", isolated=True)
        assert [f.role for f in result.files] == ["train"], name
        assert "N001" in result.by_code(), name


def test_one_file_given_twice_is_a_usage_error(tmp_path: Path) -> None:
    """As training and validation data a file would keep one role and lose the other's
    checks (the training minimums, leaks between the two); twice as training data every
    record would be its own duplicate. Another spelling of the path is the same file."""
    train = tmp_path / "a.jsonl"
    train.write_bytes(b"".join(pc(i) for i in range(20)))
    other = tmp_path / "sub" / ".." / "a.jsonl"
    (tmp_path / "sub").mkdir()
    for call, words in (
        ({"validation": [other]}, "as training data and as --validation"),
        ({"test": [other]}, "as training data and as --test"),
        ({}, "twice as training data"),
    ):
        paths = [train, other] if not call else [train]
        with pytest.raises(ConfigError, match=words):
            check(paths, model="llama3-1-8b", isolated=True, **call)


def test_validation_only_when_the_user_says_so(tmp_path: Path) -> None:
    train, val = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    train.write_bytes(b"".join(pc(i) for i in range(120)))
    val.write_bytes(b"".join(pc(i) for i in range(200, 210)))
    result = check(train, model="llama3-1-8b", isolated=True, validation=[val])
    assert [f.role for f in result.files] == ["train", "validation"]
    result = check(
        [train, val], model="llama3-1-8b", isolated=True, validation_files=[str(tmp_path / "b*")]
    )
    assert [f.role for f in result.files] == ["train", "validation"]


def test_invalid_distillation_prompts_are_dropped_warnings(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_bytes(
        prompt("") + prompt("User: hi") + b"".join(prompt(f"q {i}") for i in range(100))
    )
    result = check(path, model="nova-lite", format="distillation", isolated=True)
    dropped = [f for f in result.findings if f.data.get("dropped")]
    assert {(f.location.line, f.code) for f in dropped} == {(1, "S004"), (2, "S005")}
    assert all(f.severity is Severity.WARNING for f in dropped)
    assert "Bedrock drops this prompt" in dropped[0].message
    assert result.exit_code == 0 and "N001" not in result.by_code()


def test_too_few_valid_distillation_prompts_fail(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_bytes(prompt("") + b"".join(prompt(f"q {i}") for i in range(99)))
    result = check(path, model="nova-lite", format="distillation", isolated=True)
    n001 = [f for f in result.findings if f.code == "N001"]
    assert len(n001) == 1 and n001[0].severity is Severity.ERROR
    assert n001[0].data == {"records": 99, "minimum": 100, "dropped": 1}
    assert "99 valid distillation prompts (1 dropped)" in n001[0].message


def test_fine_tuning_errors_are_not_softened(tmp_path: Path) -> None:
    rec = {**PROMPT, "messages": [{"role": "user", "content": [{"text": ""}]}]}
    rec["messages"].append({"role": "assistant", "content": [{"text": "a"}]})
    path = tmp_path / "train.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    result = check(path, model="nova-lite", isolated=True, select=["S004"])
    assert [f.severity for f in result.findings] == [Severity.ERROR]


def test_lifecycle_dates_are_tracked_and_said() -> None:
    cohere = get_profile("cohere-command")
    assert cohere.end_of_life == "2025-09-15" and cohere.source_url("end_of_life")
    assert "ended on 2025-09-15" in lifecycle_message(cohere, today="2026-12-02")
    assert "ends on 2025-09-15" in lifecycle_message(cohere, today="2025-01-01")
    llama2 = get_profile("llama2-13b")
    assert llama2.end_of_life is None
    assert lifecycle_message(llama2).endswith("and may be retired")


def test_every_rule_changed_names_its_source() -> None:
    for key in ("nova-micro", "nova-lite", "nova-pro", "nova-2-lite"):
        p = get_profile(key)
        assert p.any_schema_version and p.file_extensions == (".jsonl",)
        assert p.source_url("any_schema_version") and p.source_url("file_extensions")
    assert not get_profile("llama3-2-1b").any_schema_version
