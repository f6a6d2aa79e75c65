"""Benchmark runner: fineprep against the floors, one table.

``python benchmarks/run.py [--records 100000] [--big-records 1000000] [--repeat 5] [--only NAME]``

Every measurement runs in a fresh subprocess (so peak RSS is that workload's own, the largest of
the process and its worker processes), fineprep and its floor alternating, and reports the
median wall time of ``--repeat`` runs of each. Data comes from benchmarks/generate.py (seeded).
A floor whose tool is not installed (check-jsonschema: ``pip install -e '.[bench]'``) shows n/a.
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


def _once(code: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter (it prints its elapsed seconds on the last line);
    returns (seconds, peak RSS in MB of the process and the children it waited for)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(HERE), **(env or {})},
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed ({proc.returncode}):\n{code}")
    return float(out.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


def _pair(mine: str, floor: str | None, repeat: int) -> tuple[Measure, Measure | None]:
    """Alternate fineprep and floor runs (so drifting machine load hits both alike); medians."""
    got: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for _ in range(repeat):
        got.append(_once(mine))
        if floor is not None:
            base.append(_once(floor))

    def median(runs: list[tuple[float, float]]) -> Measure:
        return Measure(statistics.median(t for t, _ in runs), max(r for _, r in runs))

    return median(got), (median(base) if base else None)


def _timed(body: str) -> str:
    return f"import time\nt=time.perf_counter()\n{body}\nprint(time.perf_counter()-t)\n"


def _whole_process(cmd: list[str]) -> str:
    return (
        "import subprocess,time,sys\nt=time.perf_counter()\n"
        f"subprocess.run({cmd!r}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(time.perf_counter()-t)\n"
    )


HEADER = f"{'workload':44} {'fineprep':>10} {'floor':>10} {'ratio':>7} {'RSS MB':>8}  floor"


def _line(name: str, floor_name: str, got: Measure, base: Measure | None) -> str:
    ratio = f"{got.seconds / base.seconds:6.2f}x" if base else "    n/a"
    floor_s = f"{base.seconds:9.2f}s" if base else "      n/a"
    return f"{name:44} {got.seconds:9.2f}s {floor_s:>10} {ratio:>7} {got.rss_mb:8.0f}  {floor_name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--big-records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()

    def generate_file(path: Path, n: int, fmt: str) -> Path:
        """In a child process, so the runner stays small (children inherit its pages)."""
        cmd = [sys.executable, str(HERE / "generate.py"), str(path), "--records", str(n)]
        subprocess.run([*cmd, "--format", fmt], check=True)
        return path

    rows: list[tuple[str, str, Measure, Measure | None]] = []
    tmp = Path(tempfile.mkdtemp(prefix="fineprep-bench-"))
    want = set(args.only)

    def on(name: str) -> bool:
        return not want or name in want

    conv = tmp / "conv.jsonl"
    if on("check") or on("exact-tokens") or on("precommit"):
        generate_file(conv, args.records, "conversation")

    def mine(path: Path, model: str = "nova-lite", extra: str = "") -> str:
        body = f"from fineprep.api import check\ncheck([{str(path)!r}], model={model!r}, "
        return _timed(body + f"isolated=True{extra})")

    def floor(fn: str, path: Path) -> str:
        return _timed(f"import floors, pathlib\nfloors.{fn}(pathlib.Path({str(path)!r}))")

    def row(name: str, floor_name: str, code: str, floor_code: str | None) -> None:
        got, base = _pair(code, floor_code, args.repeat)
        rows.append((name, floor_name, got, base))
        print(_line(name, floor_name, got, base), flush=True)

    n = f"{args.records:,}"
    if on("check"):
        row(f"check {n} conversations", "parse floor", mine(conv), floor("parse_floor", conv))
    if on("exact-tokens"):
        row(
            f"check --exact-tokens {n}", "token floor",
            mine(conv, extra=", exact_tokens=True"), floor("token_floor", conv),
        )  # fmt: skip
    if on("big"):
        big = generate_file(tmp / "pc.jsonl", args.big_records, "prompt-completion")
        row(
            f"check {args.big_records:,} prompt/completion", "parse floor",
            mine(big, "llama3-1-8b"), floor("parse_floor", big),
        )  # fmt: skip
    if on("convert"):
        pq_path = tmp / "rows.parquet"
        body = "import floors, pathlib\nfloors.make_parquet(pathlib.Path("
        body += f"{str(pq_path)!r}), {args.big_records})"
        subprocess.run(
            [sys.executable, "-c", body], check=True, env={**os.environ, "PYTHONPATH": str(HERE)}
        )
        out = tmp / "converted.jsonl"
        convert_code = (
            f"from fineprep.api import convert\nconvert({str(pq_path)!r}, output={str(out)!r}, "
            "to='conversation', model='nova-lite', isolated=True)"
        )
        row(
            f"convert {args.big_records:,}-row Parquet", "arrow+orjson floor", _timed(convert_code),
            _timed(
                f"import floors, pathlib\nfloors.convert_floor(pathlib.Path({str(pq_path)!r}), "
                f"pathlib.Path({str(tmp / 'floor.jsonl')!r}))"
            ),
        )  # fmt: skip
        sp = (
            f"from fineprep.api import split\nsplit({str(out)!r}, {str(tmp / 'split')!r}, "
            "validation=0.1, run_checks=False)"
        )
        clean = f"import shutil\nshutil.rmtree({str(tmp / 'split')!r}, True)\n"
        row(
            f"split {args.big_records:,} records (no checks)", "read+hash+write",
            _timed(clean + sp),
            _timed(
                f"import floors, pathlib\nfloors.split_floor(pathlib.Path({str(out)!r}), "
                f"pathlib.Path({str(tmp / 'floor-split')!r}))"
            ),
        )  # fmt: skip
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
        row(
            "pre-commit check, 1k records (process)", "check-jsonschema",
            _whole_process(fp), _whole_process(cj_cmd) if cj else None,
        )  # fmt: skip
    print(f"\n{HEADER}")
    for name, floor_name, got, base in rows:
        print(_line(name, floor_name, got, base))
    shutil.rmtree(tmp, ignore_errors=True)
    time.sleep(0)


if __name__ == "__main__":
    main()
