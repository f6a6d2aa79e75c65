"""Runs hostile corpus cases in one process: ``python -m tests.robustness.hostile_worker``.

Starting a process per case would cost ~0.4 s each; this worker reads cases (JSON lines) on
stdin and runs each through the real command line (click's test runner, in process), in a
fresh folder. Before a case it prints ``START <id>``, after it ``END <json>``: the parent
(``test_hostile_corpus.py``) kills the worker when a case does not end in time (a hang) or
the worker dies (a signal) and goes on with a new one, so every case is judged on its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
DEVICES = {"dev-zero": "/dev/zero", "dev-null": "/dev/null", "dev-urandom": "/dev/urandom"}


def _materialise(case: dict[str, Any], work: Path) -> tuple[list[str], list[socket.socket]]:
    """Write the case's files into ``work``; the arguments with device paths filled in."""
    args = [a.replace("{FIXTURES}", str(FIXTURES)) for a in case["args"]]
    for name, text in case.get("files", {}).items():
        (work / name).write_bytes(text.encode("utf-8", "surrogatepass"))
    for name, source in case.get("copy", {}).items():
        shutil.copyfile(source.replace("{FIXTURES}", str(FIXTURES)), work / name)
    keep: list[socket.socket] = []
    for name, kind in case.get("special", {}).items():
        target = work / name
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "socket":
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(target))
            keep.append(sock)
        elif kind == "folder":
            target.mkdir()
            (target / "inside.jsonl").write_text('{"prompt": "a", "completion": "b"}\n')
        elif kind == "link-zero":
            target.symlink_to("/dev/zero")
        else:
            args = [DEVICES[kind] if a == name else a for a in args]
    return args, keep


def _mutate_cache(folder: Path, how: str) -> None:
    """Forge every entry of the result cache the first run left."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        forged = {
            "truncate": data[: len(data) // 2],
            "empty": b"",
            "flip": bytes(b ^ 0x20 if i % 97 == 5 else b for i, b in enumerate(data)),
            "zero": b"\x00" * len(data),
            "json-null": b"null",
            "json-list": b"[1, 2, 3]",
            "json-wrong-types": json.dumps(
                {"findings": "x", "files": 5, "version": [], "records": "many"}
            ).encode(),
            "json-huge-numbers": data.replace(b"1", b"99999999999999999999999999999"),
            "json-deep": b"[" * 100_000 + b"]" * 100_000,
            "swap": data[::-1],
            "binary": os.urandom(64),
        }.get(how)
        if how == "dir":
            path.unlink()
            path.mkdir()
        elif how == "fifo" or (how == "fifo-entry" and path.suffix == ".json"):
            path.unlink()
            os.mkfifo(path)
        elif forged is not None:
            path.write_bytes(forged)


def run_case(case: dict[str, Any], base: Path) -> dict[str, Any]:
    from fineprep.cli.main import cli

    work = Path(tempfile.mkdtemp(dir=base))
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    runs = []
    try:
        args, keep = _materialise(case, work)
        os.chdir(work)
        os.environ.pop("FINEPREP_DEBUG", None)
        os.environ["NO_COLOR"] = "1"
        if "cache" in case:
            os.environ.pop("FINEPREP_NO_CACHE", None)
            os.environ["FINEPREP_CACHE_DIR"] = str(work / "cache")
        else:
            os.environ["FINEPREP_NO_CACHE"] = "1"
        steps = [args]
        if "again" in case:
            steps.append(case["again"])
        for k, step in enumerate(steps):
            if k and "cache" in case:
                _mutate_cache(work / "cache", case["cache"])
            result = CliRunner().invoke(cli, step, catch_exceptions=True)
            error = None
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                error = f"{type(result.exception).__name__}: {result.exception}"[:300]
            out = result.stdout
            if "-o" in step and step[step.index("-o") + 1] == "r.out":
                report = work / "r.out"
                out = report.read_text("utf-8", "replace") if report.is_file() else ""
            runs.append(
                {
                    "code": result.exit_code,
                    "out": out[-20_000:],
                    "err": result.stderr[:4_000],
                    "exception": error,
                }
            )
        for sock in keep:
            sock.close()
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        shutil.rmtree(work, ignore_errors=True)
    return {"id": case["id"], "runs": runs}


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="fineprep-hostile-"))
    try:
        for line in sys.stdin:
            case = json.loads(line)
            print(f"START {case['id']}", flush=True)
            print("END " + json.dumps(run_case(case, base)), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
