"""Usage mistakes read like ruff's and the AWS CLI's: one line, exit 2, what to do next.

Never "internal error", never a traceback, never click's multi-line usage block; a mistyped
command, model, finding code or option gets a "did you mean".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import ROOT, fineprep

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
        (["explain", ""], "fineprep explain: error: unknown finding code (empty)"),
        (["chek", "x.jsonl"], "unknown command 'chek' (did you mean 'check'?)"),
        (["check", "--quite", "x"], "no such option '--quite' (did you mean '--quiet'"),
        (["check", "--fail-on", "x", "x"], "Invalid value for '--fail-on'"),
        (["split"], "fineprep split: error: Missing argument 'DATASET.jsonl'"),
        (["check", "x.jsonl", "-o", "s3://b/r.txt"], "outputs are written to a local path"),
        (["split", "x.jsonl", "-o", "s3://b/out/"], "`fineprep upload` sends a dataset to S3"),
        (
            ["split", "x.jsonl", "-o"],
            "fineprep split: error: Option '-o' requires an argument; try 'fineprep split --help'",
        ),
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


def hiding(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment where ``modules`` cannot be imported, as if their extra were missing."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {modules!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n",
        encoding="utf-8",
    )
    return {"PYTHONPATH": str(tmp_path), "AWS_DEFAULT_REGION": "us-east-1"}


def test_missing_optional_dependency_names_the_extra(tmp_path: Path) -> None:
    run = fineprep("launch", "--status", "fineprep-job", env=hiding(tmp_path, "boto3", "botocore"))
    assert run.code == 2
    line = one_line_error(run.err)
    assert "fineprep launch needs boto3" in line and "pip install 'fineprep[aws]'" in line, line


def test_check_needs_no_extra_and_other_commands_name_theirs(tmp_path: Path) -> None:
    """What the per-file hook installs is enough for check; split and Parquet say what to add."""
    env = hiding(tmp_path, "numpy", "pyarrow", "pandas", "boto3", "botocore", "llama_models")
    data = tmp_path / "train.jsonl"
    data.write_bytes(RECORD * 30_000)  # past the size where D001 would use numpy
    run = fineprep("check", str(data), "-m", "llama3-1-8b", "--no-cache", "--stats", env=env)
    assert run.code == 1 and "D001" in run.out and "T005" in run.out, run.err
    run = fineprep("split", str(data), "-o", str(tmp_path / "out"), env=env)
    assert "pip install 'fineprep[dataset]'" in one_line_error(run.err) and run.code == 2
    parquet = ROOT / "fixtures/convert/tabular/classlabel.parquet"
    run = fineprep(
        "convert", str(parquet), "-o", str(tmp_path / "p.jsonl"), "-m", "nova-micro", env=env
    )
    assert "pip install 'fineprep[parquet]'" in one_line_error(run.err) and run.code == 2


def test_core_dependencies_are_what_check_needs() -> None:
    """The per-file hook's environment is the core: no other command's heavy dependency."""
    from fineprep.core.toml import loads

    project = loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    core = " ".join(project["dependencies"]).lower()
    for heavy in ("pyarrow", "numpy", "pandas", "boto3", "great-expectations", "llama-models"):
        assert heavy not in core, heavy
    extras = project["optional-dependencies"]
    for extra in ("aws", "parquet", "dataset", "llama", "pandas", "gx", "xlsx", "hf", "all"):
        assert extra in extras, extra


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


def test_hook_manifest_is_valid() -> None:
    """pre-commit accepts the hooks' manifest (the dataset hook adds numpy to its env)."""
    import subprocess
    import sys

    pre_commit = Path(sys.executable).parent / "pre-commit"
    manifest = ROOT / ".pre-commit-hooks.yaml"
    run = subprocess.run(
        [str(pre_commit), "validate-manifest", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("[split]\nvalidation = 0.6\ntest = 0.5\n", "leave nothing for train"),
        ('[upload]\nto = "s3://b/p/"\nexpected-bucket-owner = "12"\n', "bucket-owner"),
        ('[upload]\nto = "s3://b/p/"\npart-size = "lots"\n', "part-size"),
    ],
)
def test_run_checks_every_stage_option_before_convert(
    section: str, expected: str, tmp_path: Path
) -> None:
    (tmp_path / "rows.csv").write_text("q,a\nhello,world\n", encoding="utf-8")
    (tmp_path / "fineprep.toml").write_text(
        'model = "nova-micro"\n[convert]\ninputs = ["rows.csv"]\noutput = "out/data.jsonl"\n'
        'prompt = "q"\ncompletion = "a"\n' + section,
        encoding="utf-8",
    )
    run = fineprep("run", "--config", str(tmp_path / "fineprep.toml"), "-o", str(tmp_path / "o"))
    assert run.code == 2, run.err
    assert expected in one_line_error(run.err)
    assert not (tmp_path / "out").exists()
