"""A Bedrock Data Automation job whose job_metadata.json says it did not succeed: its results
are refused, each naming the metadata and the status, and none is converted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fineprep.stages.convert.bda.reader import read_bda
from fineprep.stages.convert.sources.base import SourceReject
from tests.conftest import FIXTURES

JOB = FIXTURES / "convert" / "bda" / "job-3f2a"


def failed_job(tmp_path: Path) -> Path:
    job = tmp_path / "job-3f2a"
    shutil.copytree(JOB, job)
    metadata = json.loads((job / "job_metadata.json").read_text())
    metadata.update(job_status="FAILED", error_message="boom")
    (job / "job_metadata.json").write_text(json.dumps(metadata))
    return job


@pytest.mark.parametrize("given", ["job", "asset"])
def test_the_outputs_of_a_failed_job_are_refused(tmp_path: Path, given: str) -> None:
    job = failed_job(tmp_path)
    root = job if given == "job" else job / "0"
    files = sorted(str(p) for p in root.rglob("*.json"))
    items = list(read_bda(files, {}))
    assert all(isinstance(i, SourceReject) and i.files for i in items), items
    assert sorted(i.source for i in items) == files
    metadata = job / "job_metadata.json"
    for item in items:
        assert isinstance(item, SourceReject)
        assert f"{metadata}: the Data Automation job" in item.reason
        assert "is FAILED (boom)" in item.reason


def test_the_outputs_of_a_processed_job_convert(tmp_path: Path) -> None:
    shutil.copytree(JOB, tmp_path / "job")
    files = sorted(str(p) for p in (tmp_path / "job").rglob("*.json"))
    assert not [i for i in read_bda(files, {}) if isinstance(i, SourceReject)]
