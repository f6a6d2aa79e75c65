"""Runs the fineprep pipeline on the bundled fixtures and writes its outputs to demo-out/.

Each step is a real CLI call, so the demo shows exactly what a user would type and see.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-out"
FIX = ROOT / "fixtures" / "demo"


def fineprep(*args: str, expect: tuple[int, ...] = (0,)) -> None:
    """Run one fineprep command, echo it, and stop the demo on an unexpected exit code."""
    cmd = [sys.executable, "-m", "fineprep", *args]
    print(f"\n$ fineprep {shlex.join(args)}", flush=True)
    code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    if code not in expect:
        sys.exit(f"demo: 'fineprep {args[0]}' exited {code}, expected {expect}")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    rel = FIX.relative_to(ROOT)
    fineprep("models")
    fineprep(
        "check",
        "--model",
        "nova-lite",
        f"{rel}/train.jsonl",
        "--validation",
        f"{rel}/validation.jsonl",
        "--stats",
    )
    fineprep("check", "--model", "nova-lite", f"{rel}/labelled-bad.jsonl", expect=(1,))
    fineprep(
        "check",
        "--model",
        "nova-lite",
        f"{rel}/labelled-bad.jsonl",
        "--output-format",
        "json",
        "-o",
        "demo-out/labelled-bad.report.json",
        expect=(1,),
    )
    fineprep("explain", "H003")
    # The whole pipeline from one config: a CSV of tickets and Textract forms -> Nova Lite.
    fineprep("run", "--config", f"{rel}/run/fineprep.toml", "-o", "demo-out/run")
    print(f"\nDemo outputs are in {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
