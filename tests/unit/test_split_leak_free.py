"""``fineprep split`` writes no split that fails its own leak check (D004), by construction.

Records with the same input (the D002 key), identical records and near-duplicates are merged
into one unit before assignment; whatever LSH misses, the split's own D004 run catches and the
split is redone. The property: for any dataset, a check of what split wrote finds no D004.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.api import check, split
from fineprep.core.config import settings_from_table
from fineprep.stages.split import runner

WORDS = ["win", "free", "cash", "now", "call", "meet", "lunch", "today", "prize", "claim", "txt"]


def message(words: list[str]) -> str:
    return " ".join(words)


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def leaks(out: Path) -> list[Any]:
    files = {p.stem: p for p in out.glob("*.jsonl") if not p.name.endswith(".meta.jsonl")}
    if "validation" not in files:
        return []
    result = check(files["train"], validation=[files["validation"]], isolated=True, select=["D004"])
    return [f for f in result.findings if f.code == "D004"]


def test_spam_like_data_splits_without_leaks(tmp_path: Path) -> None:
    offer = " ".join(f"w{k}" for k in range(60)) + " "
    records = []
    for i in range(100):  # near-duplicates: one long offer, the last word varies
        records.append({"prompt": offer + f"reply {i % 10}", "completion": "spam"})
    for i in range(100):  # the same input with different answers (conflicting labels)
        text = f"call me when you are free on day {i % 25}"
        records.append({"prompt": text, "completion": "ham" if i % 2 else "spam"})
    for i in range(200):
        records.append({"prompt": f"are we meeting for lunch on day {i}", "completion": "ham"})
    path = write(tmp_path / "spam.jsonl", records)
    result = split(path, tmp_path / "out", validation=0.2)
    assert not [f for f in result.check.findings if f.code == "D004"]
    assert leaks(tmp_path / "out") == []
    groups = result.summary["groups"]
    assert groups["merges"]["near_duplicate"] >= 9  # ten offer variants become one unit
    assert groups["merges"]["same_input"] >= 25  # each day's two answers become one unit
    assert groups["merged_records"] >= 200
    assert result.counts["validation"] > 0


def _record(words: list[str], answer: int, image: int | None) -> dict[str, Any]:
    if image is None:
        return {"prompt": message(words), "completion": f"label {answer}"}
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "image": {
                            "format": "png",
                            "source": {"s3Location": {"uri": f"s3://b/{image}.png"}},
                        }
                    },
                    {"text": message(words)},
                ],
            },
            {"role": "assistant", "content": [{"text": f"label {answer}"}]},
        ],
    }


records_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=3, max_size=9),
        st.integers(0, 2),
    ),
    min_size=4,
    max_size=60,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records_strategy, st.booleans(), st.integers(0, 3))
def test_no_split_fails_its_own_leak_check(
    tmp_path_factory: Any, drawn: list[tuple[list[str], int]], images: bool, seed: int
) -> None:
    tmp = tmp_path_factory.mktemp("s")
    records = [
        _record(words, answer, (i % 3) if images else None)
        for i, (words, answer) in enumerate(drawn)
    ]
    path = write(tmp / "data.jsonl", records)
    result = split(path, tmp / "out", validation=0.3, seed=seed)
    assert not [f for f in result.check.findings if f.code == "D004"]
    assert leaks(tmp / "out") == []
    # nothing lost, nothing invented
    written = sum(result.counts[name] for name in ("train", "validation", "test", "dropped"))
    assert written == len(records)


def test_rft_prompts_split_stratified_and_grouped(tmp_path: Path) -> None:
    records, metas = [], []
    for i in range(150):
        records.append(
            {
                "messages": [{"role": "user", "content": f"Question {i}: what is {i} + {i}?"}],
                "reference_answer": {"answer": 2 * i},
            }
        )
        metas.append({"label": "easy" if i % 3 else "hard", "group": f"topic-{i // 5}"})
    path = write(tmp_path / "rft.jsonl", records)
    write(tmp_path / "rft.meta.jsonl", metas)
    result = split(
        path, tmp_path / "out", validation=0.0, test=0.2, stratify="label", group="group",
        model="gpt-oss-20b",
    )  # fmt: skip
    assert 25 <= result.counts["test"] <= 35  # whole groups of five: about 20%
    assert set(result.classes["test"]) == {"easy", "hard"}
    groups: dict[str, set[str]] = {}
    for name in ("train", "test"):
        for line in (tmp_path / "out" / f"{name}.meta.jsonl").read_bytes().splitlines():
            groups.setdefault(orjson.loads(line)["group"], set()).add(name)
    assert all(len(where) == 1 for where in groups.values())  # no group straddles splits
    assert not [f for f in result.check.findings if f.code in {"D004", "S002", "S001"}]


@pytest.mark.parametrize(
    ("choice", "select"),
    [({}, ["N"]), ({"ignore": ["D"]}, None), ({"scope": "record"}, None)],
)
def test_leak_repair_runs_whatever_the_selection(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    choice: dict[str, Any],
    select: list[str] | None,
) -> None:
    """With grouping blind (as if LSH missed every pair), the split's own D004 run still finds
    the leaks and regroups, even when the selection or the scope leaves D004 out."""
    monkeypatch.setattr(runner, "merge_leaky_units", lambda *args: None)
    records = [
        {"prompt": f"question number {i // 2} about the weather", "completion": f"answer {i}"}
        for i in range(120)
    ]
    path = write(tmp_path / "pairs.jsonl", records)
    settings = dataclasses.replace(settings_from_table({"model": "nova-lite"}), **choice)
    result = split(path, tmp_path / "out", validation=0.3, settings=settings, select=select)
    assert result.summary["groups"]["merges"]["leak_check"] > 0
    assert leaks(tmp_path / "out") == []
    assert result.counts["validation"] > 0
