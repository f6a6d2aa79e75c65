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


def test_what_the_command_line_refuses_the_api_refuses_too(tmp_path: Path) -> None:
    """No files is a usage error, not a clean pass; a wrong type is the tool's own error,
    never a TypeError from inside it; split and augment take one dataset."""
    import pytest

    from fineprep.core.errors import ConfigError

    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "p", "completion": " c"}\n')
    for bad in ([], None, 5):
        with pytest.raises(ConfigError):
            fineprep.check(bad, model="llama3-1-8b", isolated=True)
    with pytest.raises(ConfigError, match="model must be a string"):
        fineprep.check(data, model=3, isolated=True)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="split takes one dataset, not 2 paths"):
        fineprep.split([data, data], tmp_path / "out")
    with pytest.raises(ConfigError, match="augment takes one dataset"):
        fineprep.augment([data, data], tmp_path / "aug.jsonl", target=3)


def test_select_takes_comma_separated_codes_as_the_command_line_does(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "p", "completion": " c"}\n')
    both = fineprep.check(data, model="llama3-1-8b", isolated=True, select="N,L003")
    listed = fineprep.check(data, model="llama3-1-8b", isolated=True, select=["N", "L003"])
    assert both.by_code() == listed.by_code()
    assert {"N001", "L003"} <= set(both.by_code())
