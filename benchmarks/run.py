"""Benchmark runner: fineprep against the floors, one table.

``python benchmarks/run.py [--records 100000] [--big-records 1000000] [--repeat 3] [--only NAME]``

Every measurement runs in a fresh subprocess (so peak RSS is that workload's own) and reports
the median wall time of ``--repeat`` runs. Data comes from benchmarks/generate.py (seeded).
Workloads whose command is not available in this checkout are reported as skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Measure:
    seconds: float
    rss_mb: float


def _measure(code: str, repeat: int, env: dict[str, str] | None = None) -> Measure:
    """Run ``code`` in a fresh interpreter; it prints its own elapsed seconds on the last line."""
    times: list[float] = []
    rss = 0.0
    for _ in range(repeat):
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(HERE), **(env or {})},
        )
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"benchmark step failed ({proc.returncode}):\n{code}")
        times.append(float(out.decode().strip().splitlines()[-1]))
        rss = max(rss, usage.ru_maxrss / 1024)
    return Measure(statistics.median(times), rss)


def _timed(body: str) -> str:
    return f"import time\nt=time.perf_counter()\n{body}\nprint(time.perf_counter()-t)\n"


def _whole_process(cmd: list[str], repeat: int) -> Measure:
    code = (
        "import subprocess,time,sys\nt=time.perf_counter()\n"
        f"subprocess.run({cmd!r}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(time.perf_counter()-t)\n"
    )
    return _measure(code, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--big-records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()

    def generate_file(path: Path, n: int, fmt: str) -> Path:
        """In a child process, so the runner stays small (children inherit its pages)."""
        cmd = [sys.executable, str(HERE / "generate.py"), str(path), "--records", str(n)]
        subprocess.run([*cmd, "--format", fmt], check=True)
        return path

    rows: list[tuple[str, str, Measure | None, Measure | None]] = []
    tmp = Path(tempfile.mkdtemp(prefix="fineprep-bench-"))
    want = set(args.only)

    def on(name: str) -> bool:
        return not want or name in want

    conv = tmp / "conv.jsonl"
    if on("check") or on("exact-tokens") or on("precommit"):
        generate_file(conv, args.records, "conversation")

    def mine(path: Path, model: str = "nova-lite", extra: str = "") -> Measure:
        body = f"from fineprep.api import check\ncheck([{str(path)!r}], model={model!r}, "
        return _measure(_timed(body + f"isolated=True{extra})"), args.repeat)

    def floor(fn: str, path: Path) -> Measure:
        body = f"import floors, pathlib\nfloors.{fn}(pathlib.Path({str(path)!r}))"
        return _measure(_timed(body), args.repeat)

    n = f"{args.records:,}"
    if on("check"):
        rows.append(
            (f"check {n} conversations", "parse floor", mine(conv), floor("parse_floor", conv))
        )
    if on("exact-tokens"):
        rows.append((
            f"check --exact-tokens {n}", "token floor",
            mine(conv, extra=", exact_tokens=True"), floor("token_floor", conv),
        ))  # fmt: skip
    if on("big"):
        big = generate_file(tmp / "pc.jsonl", args.big_records, "prompt-completion")
        rows.append((
            f"check {args.big_records:,} prompt/completion", "parse floor",
            mine(big, "llama3-1-8b"), floor("parse_floor", big),
        ))  # fmt: skip
    if on("convert"):
        pq_path = tmp / "rows.parquet"
        body = "import floors, pathlib\nfloors.make_parquet(pathlib.Path("
        body += f"{str(pq_path)!r}), {args.big_records})"
        subprocess.run(
            [sys.executable, "-c", body], check=True, env={**os.environ, "PYTHONPATH": str(HERE)}
        )
        out = tmp / "converted.jsonl"
        conv = (
            f"from fineprep.api import convert\nconvert({str(pq_path)!r}, output={str(out)!r}, "
            "to='conversation', model='nova-lite', isolated=True)"
        )
        rows.append((
            f"convert {args.big_records:,}-row Parquet", "arrow+orjson floor",
            _measure(_timed(conv), args.repeat),
            _measure(_timed(
                f"import floors, pathlib\nfloors.convert_floor(pathlib.Path({str(pq_path)!r}), "
                f"pathlib.Path({str(tmp / 'floor.jsonl')!r}))"
            ), args.repeat),
        ))  # fmt: skip
        sp = (
            f"from fineprep.api import split\nsplit({str(out)!r}, {str(tmp / 'split')!r}, "
            "validation=0.1, run_checks=False)"
        )
        clean = f"import shutil\nshutil.rmtree({str(tmp / 'split')!r}, True)\n"
        rows.append((
            f"split {args.big_records:,} records (no checks)", "read+hash+write",
            _measure(_timed(clean + sp), args.repeat),
            _measure(_timed(
                f"import floors, pathlib\nfloors.split_floor(pathlib.Path({str(out)!r}), "
                f"pathlib.Path({str(tmp / 'floor-split')!r}))"
            ), args.repeat),
        ))  # fmt: skip
    if on("precommit"):
        small = tmp / "small.jsonl"
        with conv.open("rb") as src, small.open("wb") as dst:
            for i, line in enumerate(src):
                if i >= 1000:
                    break
                dst.write(line)
        array = tmp / "small.json"
        array.write_bytes(b"[" + b",".join(small.read_bytes().splitlines()) + b"]")
        schema = ROOT / "schemas" / "conversation.schema.json"
        array_schema = tmp / "array.schema.json"
        array_schema.write_text(f'{{"type": "array", "items": {{"$ref": "{schema.as_uri()}"}}}}')
        cj = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
        fp = [
            sys.executable,
            "-m",
            "fineprep",
            "check",
            "--no-cache",
            "-m",
            "nova-lite",
            str(small),
        ]
        cj_cmd = [str(cj), "--schemafile", str(array_schema), str(array)]
        rows.append((
            "pre-commit check, 1k records (process)", "check-jsonschema",
            _whole_process(fp, args.repeat),
            _whole_process(cj_cmd, args.repeat) if cj else None,
        ))  # fmt: skip
    print(f"\n{'workload':44} {'fineprep':>10} {'floor':>10} {'ratio':>7} {'RSS MB':>8}  floor")
    for name, floor_name, got, base in rows:
        ratio = f"{got.seconds / base.seconds:6.2f}x" if got and base else "    n/a"
        f_s = f"{base.seconds:9.2f}s" if base else "      n/a"
        m_s = f"{got.seconds:9.2f}s" if got else "  skipped"
        rss = f"{got.rss_mb:8.0f}" if got else "     n/a"
        print(f"{name:44} {m_s:>10} {f_s:>10} {ratio:>7} {rss}  {floor_name}")
    shutil.rmtree(tmp, ignore_errors=True)
    time.sleep(0)


if __name__ == "__main__":
    main()
