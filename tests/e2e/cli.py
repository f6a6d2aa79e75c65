"""Run the real ``fineprep`` CLI in a subprocess, the way users and hooks do."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str


def fineprep(
    *args: str,
    cwd: Path = ROOT,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    # Each test process gets its own result cache unless the test names one.
    cache = Path(os.environ.get("PYTEST_TMP_CACHE", "/nonexistent"))
    full_env = {**os.environ, "NO_COLOR": "1", "FINEPREP_CACHE_DIR": str(cache), **(env or {})}
    full_env.pop("FINEPREP_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "fineprep", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    run = Run(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))
    assert "Traceback" not in run.err, run.err
    return run
