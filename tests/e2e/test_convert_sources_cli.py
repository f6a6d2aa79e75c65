"""``[[convert.sources]]`` with ``fineprep convert``, and folders of bad files in ``convert`` and
``run``: every bad file is reported in one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, needs_tokenizer
from tests.e2e.cli import fineprep

DEMO = FIXTURES / "demo" / "run"
TEXTRACT = FIXTURES / "convert" / "textract"


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_convert_inside_the_demo_folder_reads_its_sources(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    run = fineprep("convert", "-o", str(out), cwd=DEMO)
    assert run.code == 0, run.err
    assert "unknown key" not in run.err
    records = _lines(out)
    meta = _lines(tmp_path / "out.meta.jsonl")
    assert len(records) == len(meta) == 38
    # Both sources, each with its own mapping, into the one output.
    sources = {str(m["source"]).split(":")[0] for m in meta}
    assert sources == {"tickets.csv", "forms/intake-form.json", "forms/letter.json"}
    assert all(
        r["system"] == [{"text": "You are a concise, friendly support agent."}] for r in records
    )
    form = next(r for r, m in zip(records, meta, strict=True) if "forms/" in str(m["source"]))
    user = form["messages"][0]["content"][0]["text"]  # type: ignore[index]
    assert user.startswith("List the fields filled in on this form:")
    assert "files: 3 read, 0 failed" in run.err


def test_a_source_table_may_not_set_the_shared_output(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("prompt,completion\nq,a\n")
    (tmp_path / "fineprep.toml").write_text(
        'model = "titan-text-express"\n[convert]\noutput = "o.jsonl"\n'
        '[[convert.sources]]\ninputs = ["a.csv"]\noutput = "other.jsonl"\n'
    )
    run = fineprep("convert", cwd=tmp_path)
    assert run.code == 2
    assert "'output' is shared by every source" in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_command_line_inputs_replace_the_config_sources(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    run = fineprep(
        "convert", "tickets.csv", "-o", str(tmp_path / "t.jsonl"),
        "--prompt", "customer_message", "--completion", "agent_reply",
        cwd=tmp_path / "demo",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "inputs given, so the config's [[convert.sources]] are not used" in run.err
    assert len(_lines(tmp_path / "t.jsonl")) == 36


def _textract_folder(tmp_path: Path) -> Path:
    """Forty Textract responses, three of them unusable in three different ways."""
    folder = tmp_path / "responses"
    folder.mkdir()
    good = (TEXTRACT / "detect_text.json").read_bytes()
    for n in range(1, 38):
        (folder / f"doc-{n:02d}.json").write_bytes(good)
    shutil.copy(TEXTRACT / "failed.json", folder / "doc-38.json")
    (folder / "doc-39.json").write_text('{"Blocks": [{"BlockType": "LINE", "Id": "a"')
    (folder / "doc-40.json").write_text(
        json.dumps({"DocumentMetadata": {"Pages": 3}, "Blocks": [{"BlockType": "PAGE", "Id": "p"}]})
    )
    return folder


@needs_tokenizer
def test_convert_reports_every_bad_file_of_a_folder_in_one_run(tmp_path: Path) -> None:
    folder = _textract_folder(tmp_path)
    out = tmp_path / "o.jsonl"
    run = fineprep(
        "convert", str(folder), "-o", str(out), "-m", "titan-text-express", "--to", "pretraining",
        "--isolated",
    )  # fmt: skip
    assert run.code == 1, run.err
    assert len(_lines(out)) == 37
    rejects = {
        Path(str(r["source"])).name: r["reason"] for r in _lines(tmp_path / "o.rejects.jsonl")
    }
    assert sorted(rejects) == ["doc-38.json", "doc-39.json", "doc-40.json"]
    assert "job status FAILED" in str(rejects["doc-38.json"])
    assert "invalid JSON" in str(rejects["doc-39.json"])
    assert "declares 3 pages" in str(rejects["doc-40.json"])
    assert "files: 37 read, 3 failed" in run.err
    for name in rejects:
        assert f"failed: {folder / name}:" in run.err


@needs_tokenizer
def test_run_stops_after_convert_with_the_full_list_of_bad_files(tmp_path: Path) -> None:
    _textract_folder(tmp_path)
    (tmp_path / "notes.csv").write_text("prompt,completion\nq,\x00\x00\n")
    (tmp_path / "fineprep.toml").write_text(
        'model = "titan-text-express"\n[convert]\nto = "pretraining"\n'
        '[[convert.sources]]\ninputs = ["responses"]\nsource = "textract"\n'
        '[[convert.sources]]\ninputs = ["notes.csv"]\ninput = "prompt"\n'
        '[run]\noutput-dir = "out"\n'
    )
    run = fineprep("run", cwd=tmp_path)
    assert run.code == 1, run.out + run.err
    line = next(x for x in run.out.splitlines() if "convert:" in x and "FAIL" in x)
    for name in ("doc-38.json", "doc-39.json", "doc-40.json"):
        assert name in line
    assert "source 1: 3 of 40 input files failed" in line
    assert "source 2:" in line and "notes.csv" in line and "NUL bytes" in line
    assert "stopped at stage 'convert'" in run.out
    assert not (tmp_path / "out" / "dataset.jsonl").exists()


@pytest.mark.parametrize("name", ["failed.json", "truncated/part-1.json"])
def test_a_single_unusable_input_is_still_one_line_exit_2(tmp_path: Path, name: str) -> None:
    run = fineprep(
        "convert", str(TEXTRACT / name), "-o", str(tmp_path / "o.jsonl"),
        "--to", "pretraining", "-m", "titan-text-express", "--isolated",
    )  # fmt: skip
    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
    assert run.err.startswith("fineprep: error: ") and Path(name).name in run.err
