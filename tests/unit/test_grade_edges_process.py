"""A local grader whose process dies: a crash (R001 with the exit status and what it last
wrote to stderr) on every run, never a timeout, whatever the timing of the process's exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import InputError
from fineprep.stages.grade.local import LocalGrader
from fineprep.stages.grade.runner import GradeOptions, grade
from tests.conftest import FIXTURES

DATA = str(FIXTURES / "rft" / "math.jsonl")
EVENT = [{"id": "rec-1", "messages": [], "metadata": {}}]


def _grader(tmp_path: Path, body: str, name: str = "dying.py") -> str:
    path = tmp_path / name
    path.write_text(body)
    return f"{path}:lambda_handler"


EXIT_3 = "import os\ndef lambda_handler(event, context):\n    os._exit(3)\n"


def test_a_grader_that_exits_is_a_crash_on_every_line_every_run(tmp_path: Path) -> None:
    spec = _grader(tmp_path, EXIT_3)
    for _ in range(3):  # the exit used to race the poll: R002 or R001 at random
        result = grade(DATA, Settings(), GradeOptions(grader=spec, timeout=10))
        found = [(f.location.line, f.code) for f in result.findings]
        assert found == [(line, "R001") for line in range(1, 7)]
        assert all(f.message == "the grader process died (exit status 3)" for f in result.findings)
        assert result.stats["grade"][DATA]["failed"] == 6


def test_each_call_of_a_dying_grader_is_a_crash_not_a_timeout(tmp_path: Path) -> None:
    grader = LocalGrader(_grader(tmp_path, EXIT_3))
    try:
        for _ in range(10):
            call = grader.call(EVENT, 10.0)
            assert not call.timed_out
            assert call.failure is not None and call.failure.kind == "crash"
            assert call.failure.message == "the grader process died (exit status 3)"
    finally:
        grader.close()


def test_the_crash_names_the_last_stderr_line_of_that_call(tmp_path: Path) -> None:
    body = (
        "import os, sys\n"
        "def lambda_handler(event, context):\n"
        "    if event[0]['id'] == 'rec-3':\n"
        "        sys.stderr.write('fatal: cannot score rec-3\\n\\n')\n"
        "        os._exit(7)\n"
        "    print('scored', event[0]['id'])\n"
        "    return [{'id': s['id'], 'aggregate_reward_score': 1.0} for s in event]\n"
    )
    result = grade(DATA, Settings(), GradeOptions(grader=_grader(tmp_path, body), batch_size=1))
    crashes = [(f.location.line, f.message) for f in result.findings if f.code == "R001"]
    assert crashes == [(3, "the grader process died (exit status 7): fatal: cannot score rec-3")]
    assert result.stats["grade"][DATA]["graded"] == 5


def test_a_grader_that_prints_then_dies_silently_names_no_earlier_output(tmp_path: Path) -> None:
    body = (
        "import os\n"
        "def lambda_handler(event, context):\n"
        "    if event[0]['id'] == 'rec-2':\n"
        "        os._exit(1)\n"
        "    print('scored', event[0]['id'])\n"
        "    return [{'id': s['id'], 'aggregate_reward_score': 1.0} for s in event]\n"
    )
    result = grade(DATA, Settings(), GradeOptions(grader=_grader(tmp_path, body), batch_size=1))
    crashes = [(f.location.line, f.message) for f in result.findings if f.code == "R001"]
    assert crashes == [(2, "the grader process died (exit status 1)")]


def test_a_grader_killed_by_a_signal_names_the_signal(tmp_path: Path) -> None:
    body = (
        "import os, signal\n"
        "def lambda_handler(event, context):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    grader = LocalGrader(_grader(tmp_path, body))
    try:
        call = grader.call(EVENT, 10.0)
    finally:
        grader.close()
    assert not call.timed_out and call.failure is not None
    assert call.failure.message == "the grader process died (killed by SIGKILL)"


def test_a_grader_that_exits_while_loading_says_how(tmp_path: Path) -> None:
    body = "import os, sys\nsys.stderr.write('no model file\\n')\nos._exit(4)\n"
    spec = _grader(tmp_path, body)
    with pytest.raises(InputError, match=r"exit status 4\): no model file"):
        grade(DATA, Settings(), GradeOptions(grader=spec))


def test_a_slow_grader_is_still_a_timeout(tmp_path: Path) -> None:
    body = "import time\ndef lambda_handler(event, context):\n    time.sleep(60)\n"
    grader = LocalGrader(_grader(tmp_path, body))
    try:
        call = grader.call(EVENT, 0.5)
    finally:
        grader.close()
    assert call.timed_out and call.failure is None


# The grader reaches the worker's answer pipe the only way it can: as the one writable pipe
# among its open file descriptors above stderr.
FIND_PIPE = (
    "import fcntl, os, stat, time\n"
    "def _pipe():\n"
    "    for name in os.listdir('/proc/self/fd'):\n"
    "        fd = int(name)\n"
    "        try:\n"
    "            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)\n"
    "        except OSError:\n"
    "            continue\n"
    "        if fd > 2 and stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:\n"
    "            return fd\n"
    "    raise RuntimeError('no answer pipe')\n"
)
needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


@needs_proc
def test_a_grader_that_garbles_the_answer_pipe_is_a_crash(tmp_path: Path) -> None:
    body = FIND_PIPE + (
        "def lambda_handler(event, context):\n"
        "    os.write(_pipe(), b'not json\\n')\n"
        "    time.sleep(60)\n"
    )
    grader = LocalGrader(_grader(tmp_path, body))
    try:
        call = grader.call(EVENT, 30.0)
    finally:
        grader.close()
    assert not call.timed_out and call.failure is not None and call.failure.kind == "crash"
    assert "something other than an answer" in call.failure.message


@needs_proc
def test_a_grader_that_closes_the_answer_pipe_and_hangs_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fineprep.stages.grade import local

    monkeypatch.setattr(local, "EXIT_GRACE", 0.2)
    body = FIND_PIPE + (
        "def lambda_handler(event, context):\n    os.close(_pipe())\n    time.sleep(60)\n"
    )
    grader = LocalGrader(_grader(tmp_path, body))
    try:
        call = grader.call(EVENT, 30.0)
        assert grader.proc is None  # stopped, not left running
    finally:
        grader.close()
    assert not call.timed_out and call.failure is not None
    assert call.failure.message == (
        "the grader process closed its answer pipe but did not exit within 0.2 s"
    )
