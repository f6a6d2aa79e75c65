"""The README's Python API section runs as a doctest, from the repository's root (where its
fixtures are), and the API keeps the shapes a notebook user relies on."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _api_section() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```pycon\n(.*?)```", section, re.S)
    return block


def test_readme_api_section_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("FINEPREP_NO_CACHE", "1")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(_api_section(), {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    outcome = runner.summarize(verbose=False)
    assert outcome.attempted > 10 and outcome.failed == 0


def test_in_memory_records_of_every_kind(tmp_path: Path) -> None:
    import fineprep

    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    rows = [
        {"prompt": "Classify: late parcel", "completion": "negative"},
        {"prompt": "Classify: great service", "completion": "positive"},
        {"prompt": "Classify: late parcel", "completion": "negative"},
    ]
    for data in (rows, iter(rows), pd.DataFrame(rows), pa.Table.from_pylist(rows)):
        result = fineprep.check(data, model="llama3-1-8b", isolated=True, select=["D001"])
        assert [(f.location.path, f.location.line, f.code) for f in result.findings] == [
            ("records.jsonl", 3, "D001")
        ]
        assert result.files[0].path == "records.jsonl"
    frame = pd.DataFrame({"q": ["a?", "b?"], "a": ["A", None]})  # a missing answer
    conv = fineprep.convert(
        frame, output=tmp_path / "o.jsonl", to="prompt-completion", prompt="q", completion="a",
        isolated=True,
    )  # fmt: skip
    assert (conv.records, conv.rejected) == (1, 1)  # the null is refused, never written as text
    assert conv.to_dict()["records"] == 1


def test_options_take_the_command_lines_values(tmp_path: Path) -> None:
    import fineprep

    path = tmp_path / "train.jsonl"
    path.write_text('{"prompt": "q", "completion": " padded"}\n' * 2)
    warned = fineprep.check(path, model="llama3-1-8b", isolated=True, select="L003")
    assert warned.exit_code == 0 and warned.by_code() == {"L003": 2}
    assert fineprep.check(path, model="llama3-1-8b", isolated=True, select="L003",
                          fail_on="warning").exit_code == 1  # fmt: skip
    with pytest.raises(fineprep.ConfigError, match="fail_on"):
        fineprep.check(path, isolated=True, fail_on="sometimes")
    frame = warned.to_pandas()
    assert list(frame.columns)[:3] == ["code", "name", "severity"] and len(frame) == 2
    report = warned.to_dict()
    assert report["summary"]["warnings"] == 2 and report["findings"][0]["code"] == "L003"
