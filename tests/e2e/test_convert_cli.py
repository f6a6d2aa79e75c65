"""``fineprep convert`` on the command line: exit codes, stderr summary, config, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fineprep.cli.main import cli
from tests.conftest import FIXTURES, ROOT, needs_tokenizer

TABULAR = FIXTURES / "convert" / "tabular"


def _run(*parts: list[str]) -> Result:
    return CliRunner().invoke(cli, ["convert", *(arg for part in parts for arg in part)])


def test_success_prints_the_summary_on_stderr_only(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    result = _run(
        [str(TABULAR / "reviews.csv"), "-o", str(out), "-m", "titan-text-express"],
        ["--prompt", "{{ title }}: {{ body }}", "--completion", "label", "--label", "label"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"converted 4 of 4 rows to prompt-completion -> {out}" in result.stderr
    assert "rows/s" in result.stderr and "converting:" not in result.stderr
    assert [json.loads(x)["label"] for x in (tmp_path / "train.meta.jsonl").open()] == [
        "negative",
        "positive",
        "neutral",
        "negative",
    ]


def test_some_rows_rejected_is_exit_1(tmp_path: Path) -> None:
    result = _run(
        [str(TABULAR / "ragged.csv"), "-o", str(tmp_path / "o.jsonl"), "--to", "prompt-completion"],
        ["--prompt", "name", "--completion", "age"],
    )
    assert result.exit_code == 1
    assert f"rejected 2 rows -> {tmp_path / 'o.rejects.jsonl'}" in result.stderr
    assert "ragged.csv:row 2: row has 2 fields but the header has 3" in result.stderr


def test_nothing_converted_is_exit_2(tmp_path: Path) -> None:
    result = _run(
        [str(TABULAR / "reviews.csv"), "-o", str(tmp_path / "o.jsonl"), "--to", "conversation"],
        ["--prompt", "{{ titel }}", "--completion", "label"],
    )
    assert result.exit_code == 2
    assert "fineprep: error: nothing converted: all 4 rows were rejected" in result.stderr
    assert "uses undefined field 'titel' (fields: title, body, label)" in result.stderr
    assert not (tmp_path / "o.jsonl").exists() and (tmp_path / "o.rejects.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "prompt-completion", "--prompt", "{{ title "], "syntax error on line 1"),
        (["--to", "prompt-completion", "--system", "x"], "no system text"),
        (["-m", "nova-micro", "--images", "uri"], "takes no images"),
        (["--to", "pretraining"], "need a token budget"),
        (["--to", "prompt-completion", "--encoding", "utf-9"], "unknown encoding 'utf-9'"),
        (["--to", "prompt-completion", "--source", "excel"], "unknown source kind 'excel'"),
    ],
)
def test_configuration_errors_are_one_line_exit_2(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = _run([str(TABULAR / "reviews.csv"), "-o", str(tmp_path / "o.jsonl"), *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fineprep: error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_missing_source_file(tmp_path: Path) -> None:
    result = _run(
        [str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.jsonl"), "--to", "conversation"]
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"fineprep: error: {tmp_path / 'nope.csv'}: no such file (check the path)"
    )


def test_config_section_with_command_line_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t.tsv").write_text("q\ta\nHi\tHello\n", encoding="utf-8")
    (tmp_path / "fineprep.toml").write_text(
        'model = "titan-text-express"\n'
        "[convert]\n"
        'inputs = ["t.tsv"]\n'
        'output = "from-config.jsonl"\n'
        'prompt = "q"\n'
        'completion = "a"\n',
        encoding="utf-8",
    )
    config = str(tmp_path / "fineprep.toml")
    monkeypatch.chdir(ROOT)  # paths in the config file are relative to its folder
    result = _run(["--config", config])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-config.jsonl").is_file()
    result = _run(["--config", config, "--completion", "{{ a }}!", "-o", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "x.jsonl").read_text()) == {
        "prompt": "Hi",
        "completion": "Hello!",
    }


def test_forced_progress_and_reader_options(tmp_path: Path) -> None:
    result = _run(
        [str(TABULAR / "pairs.arrow"), "-o", str(tmp_path / "o.jsonl"), "-m", "llama3-1-8b"],
        ["--progress"],
    )
    assert result.exit_code == 0, result.output
    assert "\rconverting: " in result.stderr
    # A reader option the source does not have is an error naming it, never ignored.
    out = str(tmp_path / "u.jsonl")
    unknown = _run([str(TABULAR / "pairs.arrow"), "-o", out, "-m", "llama3-1-8b", "-S", "x=1"])
    assert unknown.exit_code == 2 and "'x'" in unknown.stderr
    assert not (tmp_path / "u.jsonl").exists()
    bad = _run([str(TABULAR / "pairs.arrow"), "-o", str(tmp_path / "o.jsonl"), "-S", "novalue"])
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.stderr


def test_help_documents_exit_codes_and_row_numbers() -> None:
    result = CliRunner().invoke(cli, ["convert", "--help"])
    assert result.exit_code == 0
    assert "2 nothing converted" in result.output and "the header is row 1" in result.output


@needs_tokenizer
def test_pretraining_from_the_console_script(tmp_path: Path) -> None:
    out = tmp_path / "cpt.jsonl"
    args = ["convert", "docs.jsonl", "-o", str(out), "--to", "pretraining"]
    args += ["-m", "titan-text-express", "--chunk-tokens", "300"]
    proc = subprocess.run(
        [sys.executable, "-m", "fineprep", *args],
        cwd=TABULAR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # the blank document is rejected
    assert proc.stdout == ""
    assert "rows to pretraining" in proc.stderr and "docs.jsonl:line 3" in proc.stderr
    check = subprocess.run(
        [sys.executable, "-m", "fineprep", "check", str(out), "-m", "titan-text-express"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert check.returncode == 0, check.stdout


def test_expectation_findings_are_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("great_expectations")
    (tmp_path / "t.csv").write_text("prompt,completion,label\nA,b,good\nC,,bad\n")
    (tmp_path / "fineprep.toml").write_text('labels = ["good", "bad"]\n')
    suite = ROOT / "schemas" / "expectations" / "labelled-prompt-completion.json"
    monkeypatch.chdir(tmp_path)
    result = _run(
        ["t.csv", "-o", "o.jsonl", "--to", "prompt-completion", "--expectations", str(suite)],
        ["--config", "fineprep.toml"],
    )
    assert result.exit_code == 1, result.output
    assert (
        "t.csv:row 3: G001 [error] expect_column_values_to_not_be_null failed on column "
        "'completion'" in result.stderr
    )


def test_table_options_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    result = _run(
        [str(TABULAR / "tickets.xlsx"), "-o", str(out), "--to", "prompt-completion"],
        ["--sheet", "Tickets", "--prompt", "message", "--completion", "reply", "--null-as", "-"],
    )
    assert result.exit_code == 1, result.output  # the #DIV/0! and stray-value rows
    assert [json.loads(x)["completion"] for x in out.open()] == [
        "Sorry! A new parcel ships today.",
        "-",
    ]
    headerless = _run(
        [str(TABULAR / "headerless.csv"), "-o", str(out), "--to", "prompt-completion"],
        ["--no-header", "--prompt", "c1", "--completion", "c2", "--control-chars", "reject"],
    )
    assert (
        headerless.exit_code == 1 and "row has 1 fields but the header has 2" in headerless.stderr
    )


def test_an_unclear_encoding_asks_for_the_encoding_option(tmp_path: Path) -> None:
    path = TABULAR / "encodings" / "reviews-cp1252-ambiguous.csv"
    result = _run([str(path), "-o", str(tmp_path / "o.jsonl"), "--to", "prompt-completion"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "cannot tell its encoding" in line
    assert "pass --encoding cp1250 or --encoding cp1252" in line
    fixed = _run(
        [str(path), "-o", str(tmp_path / "o.jsonl"), "--to", "prompt-completion"],
        ["--encoding", "cp1252", "--prompt", "review", "--completion", "label"],
    )
    assert fixed.exit_code == 0, fixed.stderr
    assert "Très bon café" in (tmp_path / "o.jsonl").read_text("utf-8")
