"""Source expectations (great-expectations 1.x) -> G001 findings, rejects, or a stop."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import ConfigError
from fineprep.core.rules import RULES
from fineprep.stages.convert.runner import convert
from tests.conftest import ROOT

SUITE = ROOT / "schemas" / "expectations" / "labelled-prompt-completion.json"
LABELS = ["positive", "negative", "neutral"]
TABLE = (
    "prompt,completion,label,extra\n"
    "Good?,yes,positive,1\n"
    ",no,negative,2\n"
    "Bad?,no,negatve,3\n"
    "Ok?,,neutral,4\n"
)


def _table(tmp_path: Path, text: str = TABLE) -> Path:
    path = tmp_path / "labelled.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _convert(tmp_path: Path, src: Path, suite: Path = SUITE, **kw: Any) -> Any:
    settings = Settings(labels=kw.pop("labels", LABELS))
    return convert(
        src,
        output=tmp_path / "out.jsonl",
        to="prompt-completion",
        label="label",
        expectations=str(suite),
        settings=settings,
        **kw,
    )


def test_g001_rule_is_declared() -> None:
    import fineprep.stages.check.rules.outside  # noqa: F401  (registers G001)

    rule = RULES.get("G001")
    assert rule.name == "source-expectation" and rule.severity.value == "error"
    assert "pip install 'fineprep[gx]'" in rule.explanation.fix


def test_failing_rows_become_findings_and_rejects(tmp_path: Path) -> None:
    pytest.importorskip("great_expectations")
    src = _table(tmp_path)
    result = _convert(tmp_path, src)
    found = [(f.location.source, f.data["column"], f.data["value"]) for f in result.findings]
    assert found == [
        (f"{src}:row 3", "prompt", None),
        (f"{src}:row 4", "label", "negatve"),
        (f"{src}:row 5", "completion", None),
    ]
    assert all(f.code == "G001" and f.location.path == str(src) for f in result.findings)
    assert "value_set ['positive', 'negative', 'neutral']" in result.findings[1].message
    assert (result.records, result.rejected, result.exit_code) == (1, 3, 1)
    rejects = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert rejects[1]["source"] == f"{src}:row 4"
    assert rejects[1]["reason"].startswith("expect_column_values_to_be_in_set failed on column")


def test_a_clean_table_converts(tmp_path: Path) -> None:
    pytest.importorskip("great_expectations")
    result = _convert(tmp_path, _table(tmp_path, "prompt,completion,label\nA?,a,positive\n"))
    assert (result.findings, result.records, result.exit_code) == ([], 1, 0)


def test_table_level_failure_stops_before_writing(tmp_path: Path) -> None:
    pytest.importorskip("great_expectations")
    suite = tmp_path / "suite.json"
    suite.write_text(
        json.dumps(
            {
                "expectations": [
                    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 100}},
                    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nope"}},
                ]
            }
        )
    )
    result = _convert(tmp_path, _table(tmp_path), suite)
    messages = sorted(f.message for f in result.findings)
    assert messages[0].startswith("expect_column_values_to_not_be_null could not run on column")
    assert "observed 4" in messages[1]
    assert result.expectations_failed and result.exit_code == 1
    assert list(tmp_path.glob("out*")) == []


def test_suite_problems_are_config_errors(tmp_path: Path) -> None:
    pytest.importorskip("great_expectations")
    src = _table(tmp_path)
    with pytest.raises(ConfigError, match=r"suite parameters come from config \(labels"):
        _convert(tmp_path, src, labels=None)
    bad = tmp_path / "bad.json"
    bad.write_text('{"expectations": [{"type": "expect_nothing_at_all", "kwargs": {}}]}')
    with pytest.raises(ConfigError, match="invalid expectation suite"):
        _convert(tmp_path, src, bad)
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        _convert(tmp_path, src, bad)
    with pytest.raises(ConfigError, match="expectation suite not found"):
        _convert(tmp_path, src, tmp_path / "missing.json")


def test_missing_extra_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "great_expectations", None)
    with pytest.raises(ConfigError) as err:
        _convert(tmp_path, _table(tmp_path))
    assert "pip install 'fineprep[gx]'" in str(err.value)


def test_convert_without_a_suite_imports_neither_gx_nor_pandas(tmp_path: Path) -> None:
    src = _table(tmp_path)
    code = (
        "import sys\n"
        "from fineprep.core.config import Settings\n"
        "from fineprep.stages.convert.runner import convert\n"
        f"r = convert({str(src)!r}, output={str(tmp_path / 'o.jsonl')!r}, "
        "to='prompt-completion', settings=Settings())\n"
        "print(r.records, 'great_expectations' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["2", "False", "False"]


def test_g001_downgraded_to_a_warning_reports_but_converts(tmp_path: Path) -> None:
    pytest.importorskip("great_expectations")
    from fineprep.core.model import Severity

    settings = Settings(labels=LABELS, severity={"G001": Severity.WARNING})
    result = convert(
        _table(tmp_path),
        output=tmp_path / "out.jsonl",
        to="prompt-completion",
        expectations=str(SUITE),
        settings=settings,
    )
    assert len(result.findings) == 3
    assert all(f.severity is Severity.WARNING for f in result.findings)
    # Only the rows the templates cannot convert (empty prompt/completion) are rejected.
    assert (result.records, result.rejected) == (2, 2)
