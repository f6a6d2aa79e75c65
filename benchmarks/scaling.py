"""Scaling benchmark: check at 100k, 1M and 10M generated records, one process, two
processes and a local Dask cluster of two single-threaded workers, against the parse floor;
and the memory of a check whose every record has a warning.

``python benchmarks/scaling.py [--sizes 100000,1000000,10000000] [--repeat 3] [--warnings N,M]``

Records are compact prompt/completion pairs (~190 bytes: 12-28 words of a prompt, a class
label as the answer), so that 10M records fit the disk of a small machine. Every run is a
fresh process; times are medians of ``--repeat`` runs (sizes of 10M and more run once), the
variants alternating; RSS is the peak of the largest process (``ru_maxrss`` of the children).
The coordinator's own merge cost comes from ``result.stats["engine"]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORDS = (
    "invoice total amount due customer order shipping address payment terms contract party "
    "agreement clause effective date signature witness deed property parcel grantor grantee "
    "county recorded instrument mortgage lender borrower principal interest rate maturity "
    "policy claim coverage premium insured vehicle incident report summary analysis result"
).split()
LABELS = [f"class_{k:02d}" for k in range(20)]


def generate(path: Path, n: int, warning: bool = False, seed: int = 11) -> Path:
    """``n`` distinct records; with ``warning`` each answer is one character (one L002)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for k in range(n):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 28)))
            answer = "x" if warning else LABELS[min(19, int(rng.paretovariate(1.2)) - 1)]
            out.write(json.dumps({"prompt": f"{k} {words}", "completion": answer}) + "\n")
    return path


def _once(code: str, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(HERE), "FINEPREP_NO_CACHE": "1", **(env or {})},
    )
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"step failed:\n{code}")
    lines = out.strip().splitlines()
    return float(lines[-1]), usage.ru_maxrss / 1024, "\n".join(lines[:-1])


def _check(path: Path, engine: str, output: str | None = None) -> str:
    out = f", output={output!r}" if output else ""
    return (
        "import time, json\nfrom fineprep.core.config import load_settings\n"
        "from fineprep.engines.base import engine_options\n"
        "from fineprep.stages.check.engine import check_files\n"
        "from fineprep.report.base import render_chunks\n"
        "t = time.perf_counter()\n"
        "s = load_settings(isolated=True, overrides={'model': 'llama3-1-8b'})\n"
        # One L002 warning per short answer (not the one L007 note for class labels).
        "s.checks['L002'] = {'labels': False}\n"
        f"r = check_files([{str(path)!r}], s, engine=engine_options({{}}, {engine}))\n"
        f"target = open({output!r} if {bool(out)} else '/dev/null', 'w')\n"
        "for piece in render_chunks(r, 'json'):\n    target.write(piece)\n"
        "target.close()\n"
        "print(json.dumps({'findings': len(r.findings), 'engine': r.stats.get('engine')}))\n"
        "print(time.perf_counter() - t)\n"
    )


def _floor(path: Path) -> str:
    return (
        "import time, floors, pathlib\nt = time.perf_counter()\n"
        f"floors.parse_floor(pathlib.Path({str(path)!r}))\nprint(time.perf_counter() - t)\n"
    )


class Cluster:
    """``dask scheduler`` and two ``dask worker --nthreads 1`` on 127.0.0.1."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{self.port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        cli = [sys.executable, "-m"]
        self.procs = [
            subprocess.Popen(
                [
                    *cli,
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-dashboard",
                ],
                **quiet,
            )
        ]
        for _ in range(2):
            self.procs.append(
                subprocess.Popen(
                    [
                        *cli,
                        "distributed.cli.dask_worker",
                        self.address,
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    **quiet,
                )
            )
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warnings", default="10000000", help="sizes, comma-separated ('' none)")
    parser.add_argument("--warning-jobs", default="2,1", help="--jobs values for those runs")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fineprep-scaling-"))
    cluster = None if args.no_dask else Cluster()
    try:
        print("records,variant,seconds,floor_seconds,ratio,rss_mb,partitions,merge_s,finish_s")
        for n in (int(x) for x in args.sizes.split(",") if x):
            path = generate(tmp / f"pc-{n}.jsonl", n)
            variants = {"jobs 1": "jobs=1", "jobs 2": "jobs=2"}
            if cluster is not None:
                variants["dask 2 workers"] = f"engine='dask', scheduler={cluster.address!r}"
            runs: dict[str, list[tuple[float, float, str]]] = {v: [] for v in variants}
            floors: list[float] = []
            for _ in range(1 if n >= 10_000_000 else args.repeat):
                floors.append(_once(_floor(path))[0])
                for name, engine in variants.items():
                    runs[name].append(_once(_check(path, engine)))
            floor = statistics.median(floors)
            for name, got in runs.items():
                seconds = statistics.median(t for t, _, _ in got)
                rss = max(r for _, r, _ in got)
                info = json.loads(got[-1][2])
                eng = info.get("engine") or {}
                merge = eng.get("merge", 0) + eng.get("finish_file", 0)
                print(
                    f"{n},{name},{seconds:.2f},{floor:.2f},{seconds / floor:.2f},{rss:.0f},"
                    f"{eng.get('partitions', 1)},{merge:.2f},"
                    f"{eng.get('finish', 0):.2f}",
                    flush=True,
                )
            path.unlink()
        for n in (int(x) for x in args.warnings.split(",") if x):
            path = generate(tmp / "warn.jsonl", n, warning=True)
            for jobs in args.warning_jobs.split(","):
                seconds, rss, info = _once(_check(path, f"jobs={jobs}", str(tmp / "report.json")))
                print(
                    f"{n},jobs {jobs} one warning each,{seconds:.2f},,,{rss:.0f},"
                    f"findings={json.loads(info)['findings']}",
                    flush=True,
                )
            path.unlink()
    finally:
        if cluster is not None:
            cluster.close()
        time.sleep(0)


if __name__ == "__main__":
    main()
