"""Golden files for every reporter, plus the JSON report's schema.

Regenerate after an intended change with ``FINEPREP_UPDATE_GOLDEN=1 pytest tests/e2e``; the
version is replaced by a placeholder so releases do not touch the files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from fineprep import __version__
from tests.e2e.cli import ROOT, fineprep

GOLDEN = Path(__file__).with_name("golden")
INPUT = "fixtures/demo/labelled-bad.jsonl"


def _normalise(text: str) -> str:
    return text.replace(f'"{__version__}"', '"<version>"')


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "worklist-csv"])
def test_reporter_golden(fmt: str) -> None:
    run = fineprep("check", "--model", "nova-lite", "--output-format", fmt, INPUT)
    assert run.code == 1
    got = _normalise(run.out)
    golden = GOLDEN / f"labelled-bad.{fmt}"
    if os.environ.get("FINEPREP_UPDATE_GOLDEN"):
        golden.write_bytes(got.encode("utf-8"))
    assert got == golden.read_bytes().decode("utf-8")  # bytes: the CSV's lines end in CR LF


def test_machine_formats_print_only_the_document() -> None:
    for fmt in ("json", "sarif"):
        run = fineprep("check", "--model", "nova-lite", "--output-format", fmt, INPUT)
        json.loads(run.out)


def test_json_report_matches_its_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    for extra in ([], ["--stats"], ["--validation", "fixtures/demo/validation.jsonl"]):
        run = fineprep("check", "-m", "nova-lite", "--output-format", "json", INPUT, *extra)
        jsonschema.validate(json.loads(run.out), schema)


def test_sarif_rules_have_help() -> None:
    run = fineprep("check", "-m", "nova-lite", "--output-format", "sarif", INPUT)
    doc = json.loads(run.out)
    driver = doc["runs"][0]["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    for result in doc["runs"][0]["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
    for rule in driver["rules"]:
        assert rule["help"]["text"] and rule["shortDescription"]["text"]


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = fineprep("check", "-m", "nova-lite", "--output-format", "json", "-o", str(out), INPUT)
    assert run.code == 1 and run.out == ""
    assert json.loads(out.read_text())["valid"] is False
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_sarif_artifact_uris_are_uri_references(tmp_path: Path) -> None:
    """``#`` would start a fragment, ``?`` a query, ``<`` is no URI character at all: a file
    path is percent-encoded but for its slashes (SARIF 2.1.0 3.10.2, RFC 3986)."""
    from urllib.parse import unquote

    names = ["run#1.jsonl", "what?.jsonl", "a<b>.jsonl", "my data %20.jsonl", "café.jsonl"]
    record = json.dumps({"prompt": "p", "completion": " c"}) + "\n"
    for name in names:
        (tmp_path / name).write_text(record)
    args = ["check", *names, "-m", "llama3-1-8b", "--scope", "record", "--select", "L003"]
    run = fineprep(*args, "--output-format", "sarif", cwd=tmp_path)
    results = json.loads(run.out)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {
        "run%231.jsonl", "what%3F.jsonl", "a%3Cb%3E.jsonl", "my%20data%20%2520.jsonl",
        "caf%C3%A9.jsonl",
    }  # fmt: skip
    assert {unquote(u) for u in uris} == set(names)


def test_a_repeated_cause_with_several_findings_a_record_is_no_share_over_100(
    tmp_path: Path,
) -> None:
    data = tmp_path / "rep.jsonl"
    data.write_text(
        "".join(
            json.dumps({"prompt": f" q{i} ", "completion": f" a{i} "}) + "\n" for i in range(40)
        )
    )
    run = fineprep("check", str(data), "--select", "L003")
    assert "80 findings (in a file of 40 records)" in run.out and "200%" not in run.out
