"""Usage mistakes read like ruff's and the AWS CLI's: one line, exit 2, what to do next.

Never "internal error", never a traceback, never click's multi-line usage block; a mistyped
command, model, finding code or option gets a "did you mean".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import fineprep

RECORD = b'{"prompt": "a question", "completion": "an answer"}\n'


def one_line_error(run_err: str) -> str:
    lines = [line for line in run_err.splitlines() if line.strip()]
    assert len(lines) == 1, run_err
    assert "internal error" not in run_err and "Usage:" not in run_err, run_err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check"], "fineprep check: error: no files to check"),
        (["launch"], "fineprep launch: error: give JOB_REQUEST.json"),
        (["explain", "T01"], "unknown finding code 'T01' (did you mean 'T001'?)"),
        (["explain", ""], "fineprep explain: error: unknown finding code ''"),
        (["chek", "x.jsonl"], "unknown command 'chek' (did you mean 'check'?)"),
        (["check", "--quite", "x"], "no such option '--quite' (did you mean '--quiet'"),
        (["check", "--fail-on", "x", "x"], "Invalid value for '--fail-on'"),
        (["split"], "fineprep split: error: Missing argument 'DATASET.jsonl'"),
        (
            ["models", "--show", "nova-light"],
            "unknown model 'nova-light' (did you mean 'nova-lite'?)",
        ),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args: list[str], expected: str) -> None:
    run = fineprep(*args)
    assert run.code == 2, run.err
    line = one_line_error(run.err)
    assert expected in line, line
    if line.startswith("fineprep ") and ": error:" in line.split(" ", 2)[1]:
        assert "--help'" in line  # where to look next


def test_did_you_mean_for_options_codes_and_models(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(RECORD)
    run = fineprep("check", str(data), "--quite")
    assert "(did you mean '--quiet'" in one_line_error(run.err)
    run = fineprep("check", str(data), "-m", "nova-light")
    assert run.code == 2 and "did you mean 'nova-lite'?" in one_line_error(run.err)
    run = fineprep("check", str(data), "-m", "nova-lite", "--ignore", "T01")
    assert run.code == 2 and "did you mean 'T001'?" in one_line_error(run.err)
    run = fineprep("check", str(data), "-m", "nova-lite", "--select", "D03")
    assert run.code == 2 and "did you mean 'D003'?" in one_line_error(run.err)


def test_bare_command_prints_help_and_exits_2() -> None:
    run = fineprep()
    assert run.code == 2 and "Commands:" in run.out and not run.err


def test_missing_optional_dependency_names_the_extra(tmp_path: Path) -> None:
    """A module hidden by a meta-path finder stands in for an uninstalled extra."""
    hide = tmp_path / "sitecustomize.py"
    hide.write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('boto3', 'botocore'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n",
        encoding="utf-8",
    )
    env = {"PYTHONPATH": str(tmp_path), "AWS_DEFAULT_REGION": "us-east-1"}
    run = fineprep("launch", "--status", "fineprep-job", env=env)
    assert run.code == 2
    line = one_line_error(run.err)
    assert "needs boto3" in line and "pip install 'fineprep[aws]'" in line, line


def test_run_refuses_a_typo_in_split_before_convert_starts(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("q,a\nhello,world\n", encoding="utf-8")
    (tmp_path / "fineprep.toml").write_text(
        'model = "nova-micro"\n'
        '[convert]\ninputs = ["rows.csv"]\noutput = "out/data.jsonl"\nprompt = "q"\n'
        'completion = "a"\n'
        "[split]\nvalidaton = 0.2\n",
        encoding="utf-8",
    )
    run = fineprep("run", "--config", str(tmp_path / "fineprep.toml"), "-o", str(tmp_path / "o"))
    assert run.code == 2
    line = one_line_error(run.err)
    assert "'split.validaton' (did you mean 'validation'?)" in line, line
    assert not (tmp_path / "o").exists() and not (tmp_path / "out").exists()
