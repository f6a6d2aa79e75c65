"""User inputs that once ended in "internal error": each is exit 2 and one line naming the
input and what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.robustness.conftest import cli_env, run_cli

RECORD = b'{"prompt": "What is the capital of France?", "completion": "Paris is."}\n'


def _one_line(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("fineprep"), err
    assert ": error: " in lines[0], err
    return lines[0]


@pytest.mark.parametrize("where", [[], ["--validation"], ["--test"]])
def test_fix_with_stdin_is_one_line(tmp_path: Path, where: list[str]) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(RECORD)
    args = ["check", "--no-cache", "--isolated", "--fix"]
    args += [*where, "-", str(data)] if where else ["-"]
    proc = subprocess.run(
        [sys.executable, "-m", "fineprep", *args],
        input=RECORD,
        capture_output=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )
    line = _one_line(proc.returncode, proc.stderr.decode())
    assert "-:" in line and "standard input" in line and "file" in line


@pytest.mark.parametrize("code", ["", " ", "\x1b[2J", "Z999", "P00", "p001x"])
def test_explain_an_unknown_or_empty_code_is_one_line(code: str) -> None:
    outcome = run_cli(["explain", code])
    line = _one_line(outcome.code, outcome.err)
    assert "explain --list" in line and "\x1b" not in line
