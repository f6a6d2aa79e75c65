"""Findings spill to disk past a threshold and still come back in report order; the JSON
and text reporters stream them and write exactly what one render writes."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

from fineprep.core.config import load_settings
from fineprep.core.model import Finding, Location, Severity
from fineprep.report import render
from fineprep.report.base import render_chunks
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.findings import FindingLog


def _finding(k: int, rng: random.Random) -> Finding:
    line = rng.randint(1, 30)
    code = rng.choice(["D001", "L002", "P005"])
    sev = rng.choice(list(Severity))
    return Finding(code, code.lower(), sev, f"m{k}", Location(rng.choice("ab"), line, None), {})


def test_a_spilled_log_iterates_as_a_stable_sort() -> None:
    rng = random.Random(3)
    items = [_finding(k, rng) for k in range(500)]
    log = FindingLog(spill_at=37)
    log.extend(items)
    expected = sorted(items, key=Finding.sort_key)
    assert list(log) == expected
    assert len(log) == 500 and log
    assert log.count(Severity.ERROR) == sum(1 for f in items if f.severity is Severity.ERROR)
    assert log[3] == expected[3]
    assert list(pickle.loads(pickle.dumps(log))) == expected
    log.clear()
    assert not log and list(log) == []


def test_streamed_reports_are_the_rendered_ones(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    lines = [json.dumps({"prompt": f"q{k % 7}", "completion": "a"}) for k in range(300)]
    lines.insert(10, "")
    path.write_text("\n".join(lines) + "\n")
    settings = load_settings(isolated=True, overrides={"model": "nova-lite"})
    result = check_files([str(path)], settings)
    assert len(result.findings) > 250
    plain = {f: render(result, f) for f in ("json", "text")}
    # The same result whose findings went through a log that spilled every 16.
    result.findings = FindingLog(list(result.findings), spill_at=16)
    for fmt in ("json", "text"):
        streamed = "".join(render_chunks(result, fmt))
        assert streamed == plain[fmt]
        assert render(result, fmt) == plain[fmt]
    doc = json.loads(plain["json"])
    assert doc["summary"]["warnings"] == result.count(Severity.WARNING)


def test_a_report_without_findings_streams_too(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"prompt": "a question", "completion": "an answer"}) + "\n")
    result = check_files([str(path)], load_settings(isolated=True))
    assert "".join(render_chunks(result, "json")) == render(result, "json")
    assert json.loads(render(result, "json"))["findings"] == []
