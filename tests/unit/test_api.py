"""The Python API mirrors the CLI: ``fineprep.check``, ``convert``, ``split``, ``run``..."""

from __future__ import annotations

from pathlib import Path

import fineprep
from tests.conftest import FIXTURES


def test_check_convert_split_from_the_top_level_package(tmp_path: Path) -> None:
    result = fineprep.check(
        FIXTURES / "demo" / "labelled-bad.jsonl", model="nova-lite", isolated=True
    )
    assert not result.valid and result.by_code()["P001"] == 1
    out = tmp_path / "tickets.jsonl"
    conv = fineprep.convert(
        FIXTURES / "demo" / "run" / "tickets.csv", output=out, to="conversation",
        model="nova-lite", prompt="customer_message", completion="agent_reply", label="category",
        isolated=True,
    )  # fmt: skip
    assert conv.exit_code == 0 and conv.records == 36
    parts = fineprep.split(out, tmp_path / "split", validation=0.25, stratify="label", seed=1)
    assert parts.counts["train"] + parts.counts["validation"] == 36
    assert fineprep.check(parts.files["train"], model="nova-lite", isolated=True).valid


def test_unknown_attribute() -> None:
    try:
        fineprep.nope  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
