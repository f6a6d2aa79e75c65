"""``--responses`` is matched to the dataset by line number alone, so a file with more or fewer
lines than the dataset (a line inserted, a trailing extra, a truncated file) is refused before
the grader is started: every record after the first misplaced line would be graded against
another record's response."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fineprep.cli.main import cli
from fineprep.core.config import Settings
from fineprep.core.errors import InputError
from fineprep.stages.grade import runner
from fineprep.stages.grade.runner import GradeOptions, grade
from tests.conftest import FIXTURES
from tests.unit.test_grade_edges_records import Recording

DATA = FIXTURES / "rft" / "math.jsonl"
RESPONSES = FIXTURES / "rft" / "responses.jsonl"
GOOD = f"{FIXTURES / 'graders' / 'correct'}.py:lambda_handler"


def _variant(tmp_path: Path, kind: str) -> Path:
    lines = RESPONSES.read_text().splitlines()
    if kind == "long":
        lines += ['"extra"', '"extra2"']
    elif kind == "shift":
        lines.insert(0, '"inserted at top"')
    elif kind == "short":
        lines = lines[:-1]
    out = tmp_path / f"resp_{kind}.jsonl"
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.mark.parametrize(("kind", "lines"), [("long", 8), ("shift", 7), ("short", 5)])
def test_responses_out_of_line_with_the_dataset_are_refused_before_grading(
    tmp_path: Path, kind: str, lines: int
) -> None:
    responses = _variant(tmp_path, kind)
    grader = Recording()
    with pytest.raises(InputError) as caught:
        grade(str(DATA), Settings(), GradeOptions(responses=str(responses)), grader)
    message = str(caught.value)
    assert f"{responses} has {lines} lines but {DATA} has 6 lines" in message
    assert "nothing was graded" in message
    assert grader.ids == []


def test_the_grader_is_not_started_for_misaligned_responses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("the grader was started")

    monkeypatch.setattr(runner, "open_grader", never)
    opts = GradeOptions(grader=GOOD, responses=str(_variant(tmp_path, "long")))
    with pytest.raises(InputError, match="8 lines"):
        grade(str(DATA), Settings(), opts)


def test_the_cli_refuses_misaligned_responses_with_exit_2(tmp_path: Path) -> None:
    responses = _variant(tmp_path, "shift")
    args = ["grade", str(DATA), "--grader", GOOD, "--responses", str(responses), "--isolated"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"{responses} has 7 lines but {DATA} has 6 lines" in result.output
    assert "Traceback" not in result.output and "R007" not in result.output


def test_responses_line_for_line_are_graded() -> None:
    grader = Recording()
    result = grade(str(DATA), Settings(), GradeOptions(responses=str(RESPONSES)), grader)
    assert len(grader.ids) == 6
    assert [f.code for f in result.findings] == ["R007", "R008"]


def test_a_dataset_on_stdin_is_counted_and_then_graded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = DATA.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    grader = Recording()
    grade("-", Settings(), GradeOptions(responses=str(RESPONSES)), grader)
    assert grader.ids == [f"rec-{n}" for n in range(1, 7)]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(InputError, match="has 5 lines but stdin has 6 lines"):
        grade("-", Settings(), GradeOptions(responses=str(_variant(tmp_path, "short"))), grader)
