"""An output that cannot be written is a one-line error naming it (exit 2), never a traceback.

The folder of an output path may be a regular file, lie under one, or be a place no file can
be created in (``/proc``); the writer says so before anything is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fineprep.core.errors import FineprepError, InputError
from fineprep.io.atomic import AtomicWriter, atomic_write_bytes
from tests.e2e.cli import fineprep


def test_a_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x")
    target = tmp_path / "somefile" / "report.json"
    with pytest.raises(InputError, match=r"report\.json: cannot write \(.*somefile.* not a"):
        atomic_write_bytes(target, b"{}")
    assert (tmp_path / "somefile").read_text() == "x"


def test_a_folder_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x")
    target = tmp_path / "somefile" / "deeper" / "report.json"
    with pytest.raises(InputError, match=r"report\.json: cannot write \(.*somefile.* not a"):
        atomic_write_bytes(target, b"{}")


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no /proc")
def test_a_folder_no_file_can_be_created_in() -> None:
    with (
        pytest.raises(InputError, match=r"/proc/version: cannot write \("),
        AtomicWriter("/proc/version") as fh,
    ):
        fh.write(b"{}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(InputError, match=r"cannot write \(.*ermission denied"):
            atomic_write_bytes(folder / "out.jsonl", b"x")
        with pytest.raises(InputError, match=r"cannot write \(.*ermission denied"):
            atomic_write_bytes(folder / "sub" / "out.jsonl", b"x")
    finally:
        folder.chmod(0o700)


def test_the_errors_are_the_tools_own(tmp_path: Path) -> None:
    """What the command line turns into exit 2, with the message on one line."""
    (tmp_path / "f").write_text("x")
    with pytest.raises(FineprepError) as info:
        atomic_write_bytes(tmp_path / "f" / "g", b"")
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


@pytest.mark.parametrize("output", ["somefile/report.json", "/proc/version"])
def test_check_output_that_cannot_be_written(tmp_path: Path, output: str) -> None:
    if output.startswith("/proc") and not Path(output).is_file():
        pytest.skip("no /proc")
    (tmp_path / "somefile").write_text("x")
    data = tmp_path / "x.jsonl"
    data.write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    run = fineprep(
        "check", str(data), "-m", "gpt-oss-20b", "--isolated", "-o", output, cwd=tmp_path
    )
    assert run.code == 2, run.err
    assert "internal error" not in run.err and "Traceback" not in run.err
    assert f"{output}: cannot write (" in run.err
