"""Lines `fineprep check --format rft` rejects are R009 in `grade`, named as check names them,
and never reach the grader: Bedrock would not build events from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fineprep.core.config import Settings
from fineprep.core.model import Severity
from fineprep.stages.grade.calls import Call
from fineprep.stages.grade.events import Item, Skipped, read_items
from fineprep.stages.grade.runner import GradeOptions, grade
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "rft" / "math.jsonl")
GOOD = '{"messages": [{"role": "user", "content": "What is 2+2?"}], "reference_answer": "4"}'
BAD = {
    2: (
        '{"messages":[{"role":"user","content":"What is 5+5?"},'
        '{"role":"assistant","content":"10"}],"reference_answer":"10"}',
        "S003",
        "the last turn is an assistant answer",
        "$.messages[1].role",
    ),
    3: ('{"messages":[],"reference_answer":"1"}', "S003", "needs a user turn", "$.messages"),
    4: (
        '{"messages":[{"role":"user","content":"What is 7+7?"}],"reference_answer":null}',
        "S004",
        "reference_answer is empty (null)",
        "$.reference_answer",
    ),
    5: (
        '{"messages":"hi","reference_answer":"1"}',
        "S001",
        "'messages' must be an array, not string",
        "$.messages",
    ),
    6: ('{"reference_answer":"1"}', "S001", "missing required key 'messages'", "$"),
    7: (
        '{"messages":[{"role":"user","content":"q"}]}',
        "S001",
        "missing required key 'reference_answer'",
        "$",
    ),
}


class Recording:
    """A grader that scores everything 1.0 and remembers the ids it was sent."""

    name = "recording"

    def __init__(self) -> None:
        self.ids: list[str] = []

    def call(self, event: list[dict[str, Any]], timeout: float) -> Call:
        self.ids += [item["id"] for item in event]
        return Call(0.0, result=[{"id": i["id"], "aggregate_reward_score": 1.0} for i in event])

    def close(self) -> None:
        """Nothing to release."""


def _dataset(tmp_path: Path) -> Path:
    data = tmp_path / "rftbad.jsonl"
    lines = [GOOD] + [BAD[n][0] for n in sorted(BAD)] + [GOOD]
    data.write_text("\n".join(lines) + "\n")
    return data


def test_records_check_rejects_are_r009_and_not_sent(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    grader = Recording()
    result = grade(str(data), Settings(), GradeOptions(grader="unused.py:f"), grader=grader)
    assert grader.ids == ["rec-1", "rec-8"]
    r009 = {f.location.line: f for f in result.findings if f.code == "R009"}
    assert sorted(r009) == sorted(BAD)
    for line, (_, code, words, jpath) in BAD.items():
        finding = r009[line]
        assert finding.message.startswith(f"{code}: ") and words in finding.message
        assert finding.message.endswith(": not graded")
        assert finding.data["check_code"] == code and finding.location.json_path == jpath
    assert "missing messages" not in r009[5].message
    assert result.stats["grade"][str(data)]["graded"] == 2


def test_r009_names_what_check_reports_for_the_line(tmp_path: Path) -> None:
    from fineprep.api import check

    data = _dataset(tmp_path)
    checked = check(str(data), model="gpt-oss-20b", format="rft", ignore="N")
    errors = {f.location.line: f for f in checked.findings if f.severity is Severity.ERROR}
    graded = grade(str(data), Settings(), GradeOptions(grader="unused.py:f"), grader=Recording())
    r009 = {f.location.line: f for f in graded.findings if f.code == "R009"}
    assert sorted(errors) == sorted(r009)
    for line, finding in errors.items():
        assert f"{finding.code}: {finding.message}" in r009[line].message


def test_every_walker_error_is_counted_in_the_finding(tmp_path: Path) -> None:
    data = tmp_path / "two.jsonl"
    data.write_text('{"messages":[{"role":"tool","content":1}]}\n')
    (skipped,) = list(read_items(str(data)))
    assert isinstance(skipped, Skipped)
    assert (
        skipped.code == "S001"
        and "(and 3 more; see `fineprep check --format rft`)" in skipped.reason
    )


def test_a_severity_lowered_in_config_lets_the_line_be_graded(tmp_path: Path) -> None:
    data = tmp_path / "one.jsonl"
    data.write_text(BAD[4][0] + "\n")
    settings = Settings()
    settings.severity["S004"] = Severity.WARNING
    grader = Recording()
    result = grade(str(data), settings, GradeOptions(grader="unused.py:f"), grader=grader)
    assert grader.ids == ["rec-1"]
    assert "R009" not in {f.code for f in result.findings}


def test_valid_records_are_graded_exactly_as_before() -> None:
    items = list(read_items(DATA))
    assert all(isinstance(i, Item) for i in items)
    assert [i.line for i in items] == list(range(1, 7))
    first = items[0]
    assert isinstance(first, Item) and first.reference
    with open(DATA, encoding="utf-8") as fh:  # noqa: PTH123
        record = json.loads(fh.readline())
    assert first.event == {
        "id": "rec-1",
        "messages": [*record["messages"], {"role": "assistant", "content": "391"}],
        "metadata": {k: v for k, v in record.items() if k != "messages"},
    }
