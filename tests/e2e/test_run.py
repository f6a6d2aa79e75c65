"""``fineprep run``: the demo pipeline end to end, and stopping at the first failing stage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES
from tests.e2e.cli import fineprep
from tests.s3server import (  # noqa: F401  (fixtures)
    FaultProxy,
    aws_env,
    aws_fixture,
    make_bucket,
    moto_fixture,
    proxy_fixture,
)
from tests.unit.test_html_report import without_own_scripts

DEMO = FIXTURES / "demo" / "run"


def test_demo_pipeline_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = fineprep("run", "--config", str(DEMO / "fineprep.toml"), "-o", str(out))
    assert run.code == 0, run.out + run.err
    for stage in ("convert", "check", "split", "check splits"):
        assert f"[ok  ] {stage}:" in run.out
    assert "[skip] upload" in run.out
    split = json.loads((out / "split" / "split.json").read_text())
    assert split["counts"]["train"] + split["counts"]["validation"] == 38
    assert {"account", "billing", "shipping"} <= set(split["classes"]["validation"])
    html = (out / "report.html").read_text()
    assert "fineprep run" in html and "<script" not in without_own_scripts(html)
    train, val = out / "split" / "train.jsonl", out / "split" / "validation.jsonl"
    check = fineprep("check", "-m", "nova-lite", str(train), "--validation", str(val))
    assert check.code == 0, check.out
    sources = [
        json.loads(x)["source"] for x in (out / "dataset.meta.jsonl").read_text().splitlines()
    ]
    assert any("tickets.csv:row" in s for s in sources)
    assert any("intake-form.json" in s for s in sources)
    # The joined dataset and the split are sealed sets; check finds each pair whole.
    assert (out / "dataset.set.json").is_file()
    for data in (out / "dataset.jsonl", train, val):
        assert "S009" not in fineprep("check", "--select", "S009", str(data)).out


def test_run_stops_at_the_failing_stage(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    csv = tmp_path / "demo" / "tickets.csv"
    csv.write_text(csv.read_text() + 'T9,billing,"Hello {customer_name}",Fine\n')
    run = fineprep("run", "--config", str(tmp_path / "demo" / "fineprep.toml"))
    assert run.code == 1
    assert "[FAIL] check:" in run.out and "H003" in run.out
    assert "stopped at stage 'check'" in run.out
    assert not (tmp_path / "demo" / "out" / "split").exists()
    assert (tmp_path / "demo" / "out" / "report.html").is_file()


def test_run_without_sources_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "fineprep.toml").write_text('model = "nova-lite"\n')
    run = fineprep("run", cwd=tmp_path)
    assert run.code == 2
    assert "[convert]" in run.err and len(run.err.strip().splitlines()) == 1


def test_run_uploads_to_s3_and_the_job_request_validates(aws: FaultProxy, tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    config = tmp_path / "demo" / "fineprep.toml"
    config.write_text(
        config.read_text()
        + f'\n[upload]\nto = "s3://fineprep-demo/runs/r1/"\nendpoint-url = "{aws.url}"\n'
        + '[job]\nrole-arn = "arn:aws:iam::123456789012:role/BedrockTuning"\n'
    )
    s3 = make_bucket(aws.url, "fineprep-demo")
    run = fineprep("run", "--config", str(config), env=dict(aws_env()))
    assert run.code == 0, run.out + run.err
    assert "[ok  ] upload:" in run.out
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="fineprep-demo")["Contents"]}
    assert {"runs/r1/train.jsonl", "runs/r1/validation.jsonl", "runs/r1/manifest.json"} <= keys
    request = tmp_path / "demo" / "out" / "split" / "job-request.json"
    job = json.loads(request.read_text())
    assert job["trainingDataConfig"]["s3Uri"] == "s3://fineprep-demo/runs/r1/train.jsonl"
    assert job["baseModelIdentifier"].startswith("amazon.nova-lite-v1:0")
    dry = fineprep("launch", str(request), "--dry-run", env=dict(aws_env()))
    assert dry.code == 0, dry.err


def test_a_source_that_cannot_be_read_is_exit_2(tmp_path: Path) -> None:
    """A configured input that does not exist is an input error, not findings in the data."""
    (tmp_path / "fineprep.toml").write_text(
        'model = "nova-lite"\n[convert]\ninputs = ["nothere.csv"]\n'
        'prompt = "{{ a }}"\ncompletion = "{{ b }}"\n'
    )
    run = fineprep("run", "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert run.code == 2, run.out + run.err
    assert "nothere.csv" in run.out and "stopped at stage 'convert'" in run.out


def test_the_output_folder_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    forms = tmp_path / "demo" / "forms"
    before = sorted(p.name for p in forms.iterdir())
    for out in (forms, forms / "sub"):
        run = fineprep("run", "--config", str(tmp_path / "demo" / "fineprep.toml"), "-o", str(out))
        assert run.code == 2
        assert "is inside the input folder" in run.err
    assert sorted(p.name for p in forms.iterdir()) == before
