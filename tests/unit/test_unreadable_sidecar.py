"""A sidecar that cannot be read is the user's to fix: one line naming it, exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES


def _as_user(args: list[str]) -> list[str]:
    """Root reads any file: drop the capabilities that let it (where setpriv exists)."""
    if os.geteuid() != 0:
        return args
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions are not enforced")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", *args]


def test_check_names_an_unreadable_sidecar(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    shutil.copy(FIXTURES / "demo" / "train.jsonl", data)
    meta = tmp_path / "g.meta.jsonl"
    meta.write_text('{"label": "a"}\n')
    meta.chmod(0)
    env = {**os.environ, "FINEPREP_NO_CACHE": "1"}
    cmd = _as_user([sys.executable, "-m", "fineprep", "check", str(data), "-m", "nova-lite"])
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=120)
    if run.returncode == 0 and os.geteuid() == 0:
        pytest.skip("this container ignores the dropped capabilities")
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == (
        f"fineprep: error: {meta}: permission denied (check the file's permissions)"
    )
