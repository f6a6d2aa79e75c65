"""Colour, progress, -q/-v and -o mean the same on every command.

Colour: ``NO_COLOR`` and ``FORCE_COLOR`` are honoured, ``--color always`` survives a pipe.
Progress (percent and time left) is drawn on a terminal only: tested on a real pty.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from fineprep.cli.main import COMMANDS
from tests.e2e.cli import ROOT, fineprep

BAD = b'{"prompt": "", "completion": "an answer"}\n'
ESC = "\x1b["


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD)
    return path


def _check(path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    run = fineprep("check", str(path), "-m", "llama3-1-8b", "--no-cache", *args, env=env)
    assert run.code == 1, run.err
    return run.out


def test_colour_follows_no_color_force_color_and_the_option(bad: Path) -> None:
    assert ESC not in _check(bad)  # a pipe, NO_COLOR=1 (the test helper's default)
    assert ESC not in _check(bad, env={"NO_COLOR": "", "FORCE_COLOR": ""})  # a pipe: plain
    assert ESC in _check(bad, env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert ESC not in _check(bad, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})  # NO_COLOR wins
    assert ESC in _check(bad, "--color", "always")  # kept when piped, whatever NO_COLOR says
    assert ESC in _check(bad, "--color")  # a bare --color means always
    assert ESC not in _check(bad, "--color", "never", env={"FORCE_COLOR": "1"})
    assert ESC not in _check(bad, "--no-color", env={"FORCE_COLOR": "1"})  # the old spelling


@pytest.mark.parametrize("path", [[c] for c in COMMANDS])
def test_every_command_takes_q_v_and_color(path: list[str]) -> None:
    out = fineprep(*path, "--help").out
    for flag in ("-q, --quiet", "-v, --verbose", "--color [auto|always|never]"):
        assert flag in out, (path, flag)
    run = fineprep(*path, "-q", "-v", "--color", "never")
    assert run.code == 2 and ("contradict" in run.err or "Missing argument" in run.err), run.err


def test_quiet_and_verbose(bad: Path) -> None:
    quiet = fineprep("check", str(bad), "-m", "llama3-1-8b", "--no-cache", "-q")
    assert "Found" not in quiet.out and "S" in quiet.out and not quiet.err
    verbose = fineprep("check", str(bad), "-m", "llama3-1-8b", "--no-cache", "-v")
    assert "fineprep: config:" in verbose.err and "Found" in verbose.out
    both = fineprep("check", str(bad), "-q", "-v")
    assert both.code == 2 and "contradict" in both.err


def test_output_is_o_everywhere_with_the_old_spelling_hidden(tmp_path: Path) -> None:
    for command in ("run", "upload"):
        out = fineprep(command, "--help").out
        assert "-o, --output DIRECTORY" in out and "--output-dir" not in out
    for command in ("check", "convert", "split", "augment", "grade"):
        assert "-o, --output" in fineprep(command, "--help").out


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (stdout discarded); return the terminal's text."""
    master, slave = pty.openpty()
    env = {**os.environ, "FINEPREP_NO_CACHE": "1", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineprep", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.wait(timeout=300), seen.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough records (~24 MB) that checking in one process takes more than the second after
    which the time left is shown, even on a fast machine."""
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(120000):
            prompt = f"question number {i} about the thing " * 4
            fh.write(json.dumps({"prompt": prompt, "completion": f"answer {i} is fine"}) + "\n")
    return path


@pytest.mark.slow
def test_progress_with_percent_and_eta_on_a_terminal_only(big: Path) -> None:
    args = ["check", str(big), "-m", "llama3-1-8b", "--exit-zero", "--jobs", "1"]
    code, shown = _on_a_terminal(args, ROOT)
    assert code == 0, shown
    assert "\rchecking: " in shown and "% of " in shown and " MB" in shown, shown[-500:]
    assert " left" in shown, shown[-500:]
    assert shown.endswith("\r\x1b[K") or "\r\x1b[K" in shown  # the line is erased at the end
    piped = fineprep(*args)
    assert "\r" not in piped.err and "checking:" not in piped.err
    code, quiet = _on_a_terminal([*args, "-q"], ROOT)
    assert "checking:" not in quiet


@pytest.mark.slow
def test_forced_progress_on_a_pipe(big: Path, tmp_path: Path) -> None:
    run = fineprep("split", str(big), "-o", str(tmp_path / "s"), "--progress", "--exit-zero")
    assert run.code == 0, run.err
    assert "\rsplitting: " in run.err
