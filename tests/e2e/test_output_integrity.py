"""Nothing fineprep writes destroys or misstates data: outputs never replace an input or a
special file, they follow the umask, nothing empty appears, multi-file outputs are committed as
a set that ``check`` verifies, and two runs on one output never interleave."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.cli import ROOT, fineprep


def _csv(tmp_path: Path, rows: int = 10, answer: str = "ok", name: str = "src.csv") -> Path:
    path = tmp_path / name
    body = "".join(f"question number {i},{answer} {i}\n" for i in range(rows))
    path.write_text("prompt,completion\n" + body)
    return path


def _convert(
    src: Path, out: Path, *extra: str, umask: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "fineprep", "convert", str(src), "-o", str(out), "-m", "nova-lite",
         *extra],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )  # fmt: skip


# --- output path safety -------------------------------------------------------------------


def test_check_refuses_to_write_its_report_over_an_input(tmp_path: Path) -> None:
    out = tmp_path / "out" / "train.jsonl"
    assert _convert(_csv(tmp_path), out).returncode == 0
    before = out.read_bytes()
    for target in (out, out.with_name("train.meta.jsonl")):
        run = fineprep("check", "-m", "nova-lite", "-o", str(target), str(out))
        assert run.code == 2 and "would overwrite the source" in run.err
        assert len(run.err.strip().splitlines()) == 1
    # Another spelling of the path, and a hard link to it, are the same file.
    link = tmp_path / "link.jsonl"
    os.link(out, link)
    spelled = tmp_path / "out" / ".." / "out" / "train.jsonl"
    for target in (link, spelled):
        assert fineprep("check", "-m", "nova-lite", "-o", str(target), str(out)).code == 2
    # The config file the settings come from is an input too.
    config = tmp_path / "fineprep.toml"
    config.write_text('model = "nova-lite"\n')
    run = fineprep("check", "--config", str(config), "-o", str(config), str(out))
    assert run.code == 2 and "fineprep.toml" in run.err
    assert out.read_bytes() == before and config.read_text() == 'model = "nova-lite"\n'


def test_grade_refuses_to_write_its_report_over_the_dataset(tmp_path: Path) -> None:
    data = tmp_path / "rft.jsonl"
    body = '{"messages": [{"role": "user", "content": "q"}], "reference_answer": "a"}\n'
    data.write_text(body)
    run = fineprep("grade", str(data), "-o", str(data))
    assert run.code == 2 and "would overwrite the source" in run.err
    assert data.read_text() == body


def test_outputs_never_replace_special_files(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    assert _convert(_csv(tmp_path), out).returncode == 0
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    run = fineprep("check", "-m", "nova-lite", "-o", str(fifo), str(out), timeout=30)
    assert run.code == 2 and "named pipe" in run.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    run = fineprep("check", "-m", "nova-lite", "-o", "/dev/null", str(out))
    assert run.code == 2 and "device node" in run.err
    # convert's output and split's files are refused the same way.
    target = tmp_path / "pipe.jsonl"
    os.mkfifo(target)
    run2 = _convert(_csv(tmp_path), target)
    assert run2.returncode == 2 and "named pipe" in run2.stderr
    assert len(run2.stderr.strip().splitlines()) == 1
    split_dir = tmp_path / "split"
    split_dir.mkdir()
    (split_dir / "train.jsonl").mkdir()
    run = fineprep("split", str(out), "-o", str(split_dir), "--validation", "0.2")
    assert run.code == 2 and "is a directory" in run.err


def test_convert_refuses_an_output_hard_linked_to_its_source(tmp_path: Path) -> None:
    src = tmp_path / "src.jsonl"
    src.write_text(
        "".join(json.dumps({"prompt": f"q{i}", "completion": "a"}) + "\n" for i in range(3))
    )
    link = tmp_path / "out.jsonl"
    os.link(src, link)
    before = src.read_bytes()
    run = _convert(src, link)
    assert run.returncode == 2 and "would overwrite the source" in run.stderr
    assert src.read_bytes() == before


# --- umask and empty outputs ----------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    out = tmp_path / "train.jsonl"
    src = tmp_path / "src.csv"
    src.write_text("prompt,completion\nq,a\nq2,\n")  # a row with an empty answer is a reject
    run = _convert(src, out, umask=umask)
    assert run.returncode == 1, run.stderr
    for path in (out, out.with_name("train.meta.jsonl"), out.with_name("train.rejects.jsonl"),
                 out.with_name("train.set.json")):  # fmt: skip
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def test_no_empty_rejects_file_is_written_or_announced(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    named = tmp_path / "bad-rows.jsonl"
    named.write_text('{"source": "an earlier run"}\n')
    run = _convert(_csv(tmp_path), out, "--rejects", str(named))
    assert run.returncode == 0, run.stderr
    assert not named.exists()
    assert "rejected" not in run.stderr and "rows -> " not in run.stderr
    assert not out.with_name("train.rejects.jsonl").exists()


# --- output sets ------------------------------------------------------------------------------

_KILL_BETWEEN_RENAMES = textwrap.dedent(
    """
    import os, signal, sys
    from fineprep.stages.convert import output
    close = output.Outputs._close
    def _close(self, writer, keep):
        if keep and writer.path == self.output:  # the sidecar is renamed, the records not yet
            os.kill(os.getpid(), signal.SIGKILL)
        close(self, writer, keep)
    output.Outputs._close = _close
    from fineprep.cli.main import cli
    cli(sys.argv[1:])
    """
)


def test_a_kill_between_two_renames_leaves_a_pair_check_reports(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    assert _convert(_csv(tmp_path, 10), out).returncode == 0
    assert fineprep("check", "-m", "nova-lite", "--select", "S", str(out)).code == 0
    first = out.read_bytes()
    # The second run has other rows (one more, other answers): records and sidecar differ.
    src = _csv(tmp_path, 11, answer="other")
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_BETWEEN_RENAMES, "convert", str(src), "-o", str(out), "-m",
         "nova-lite"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    assert out.read_bytes() == first  # the records of the first run, the sidecar of the second
    assert len(out.with_name("train.meta.jsonl").read_text().splitlines()) == 11
    run = fineprep("check", "-m", "nova-lite", "--select", "S009", str(out))
    assert run.code == 0 and "S009" in run.out and "train.set.json" in run.out
    assert "train.meta.jsonl was written by another run" in run.out
    # Stages that read labels and ids from the sidecar refuse the mixed pair.
    split = fineprep("split", str(out), "-o", str(tmp_path / "split"))
    assert split.code == 2 and "train.set.json" in split.err
    assert len(split.err.strip().splitlines()) == 1 and not (tmp_path / "split").exists()
    # A rerun converges: the set is whole again and check is quiet.
    assert _convert(src, out).returncode == 0
    assert "S009" not in fineprep("check", "-m", "nova-lite", "--select", "S009", str(out)).out


def test_a_data_file_from_another_run_beside_the_sidecar_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    assert _convert(_csv(tmp_path, 10), out).returncode == 0
    older = out.read_bytes()
    assert _convert(_csv(tmp_path, 10, answer="changed"), out).returncode == 0
    out.write_bytes(older)
    run = fineprep("check", "-m", "nova-lite", "--select", "S009", str(out))
    assert "S009" in run.out and "train.jsonl was written by another run" in run.out


def test_split_files_are_verified_against_split_json(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    assert _convert(_csv(tmp_path, 40), data).returncode == 0
    out = tmp_path / "split"
    assert fineprep("split", str(data), "-o", str(out), "--validation", "0.25").code == 0
    summary = json.loads((out / "split.json").read_text())
    assert set(summary["set"]["members"]) == {
        "train.jsonl", "train.meta.jsonl", "validation.jsonl", "validation.meta.jsonl"
    }  # fmt: skip
    assert "S009" not in fineprep("check", "--select", "S009", str(out / "train.jsonl")).out
    meta = out / "validation.meta.jsonl"
    meta.write_text(meta.read_text().replace("row", "line"))
    run = fineprep("check", "--select", "S009", str(out / "validation.jsonl"))
    assert "S009" in run.out and "split.json" in run.out


# --- concurrency --------------------------------------------------------------------------------

_SLOW_CONVERT = textwrap.dedent(
    """
    import pathlib, sys, time
    from fineprep.stages.convert import output
    gate = pathlib.Path(sys.argv.pop(1))
    def held(write):
        def slow_write(self, *args, **kwargs):
            pathlib.Path(str(gate) + ".started").touch()
            while not gate.exists():
                time.sleep(0.02)
            write(self, *args, **kwargs)
        return slow_write
    # Both ways a record is written (a plain row's two lines, or a record and its sidecar).
    output.Outputs.write = held(output.Outputs.write)
    output.Outputs.write_lines = held(output.Outputs.write_lines)
    from fineprep.cli.main import cli
    cli(sys.argv[1:])
    """
)


def _held_convert(tmp_path: Path, out: Path, gate: Path) -> subprocess.Popen[str]:
    """A real convert that holds ``out`` until ``gate`` exists (started once it writes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_CONVERT, str(gate), "convert", str(_csv(tmp_path, 10)),
         "-o", str(out), "-m", "nova-lite"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    started = Path(str(gate) + ".started")
    for _ in range(3000):
        if started.exists() or proc.poll() is not None:
            break
        time.sleep(0.01)
    return proc


def test_two_runs_on_one_output_never_interleave(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    gate = tmp_path / "gate"
    first = _held_convert(tmp_path, out, gate)
    try:
        assert first.poll() is None
        second = _convert(_csv(tmp_path, 12, name="other.csv"), out)
        assert second.returncode == 2
        assert "another fineprep run is writing this output" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        gate.touch()
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
    assert len(out.read_text().splitlines()) == 10
    assert "S009" not in fineprep("check", "--select", "S009", str(out)).out


def test_a_killed_run_releases_its_lock(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    gate = tmp_path / "gate"
    first = _held_convert(tmp_path, out, gate)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert not out.exists()
    assert _convert(_csv(tmp_path, 12, name="other.csv"), out).returncode == 0
    assert len(out.read_text().splitlines()) == 12


def test_a_planted_lock_path_is_never_followed(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    lock = tmp_path / ".train.jsonl.lock"
    lock.symlink_to(victim)
    run = _convert(_csv(tmp_path), out)
    assert run.returncode == 2 and ".train.jsonl.lock" in run.stderr
    assert victim.read_text() == "keep me\n" and not out.exists()
    lock.unlink()
    os.mkfifo(lock)
    run = _convert(_csv(tmp_path), out)
    assert run.returncode == 2 and "not a regular file" in run.stderr


def test_check_fix_writes_no_empty_rejected_file(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    assert _convert(_csv(tmp_path), out).returncode == 0
    stale = tmp_path / "train.rejected.jsonl"
    stale.write_text('{"line": 1}\n')  # an earlier --fix run's
    run = fineprep("check", "-m", "nova-lite", "--fix", str(out))
    assert run.code in (0, 1), run.err
    assert (tmp_path / "train.fixed.jsonl").read_bytes() == out.read_bytes()
    assert not stale.exists() and "rejected ->" not in run.err
    assert stat.S_IMODE((tmp_path / "train.fixed.jsonl").stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
