"""The bad-input corpus: `check` and `convert` on every case end cleanly, never with a traceback.

Each case in ``tests/corpus`` (made by ``scripts/make_corpus.py``) goes through both commands
in a real subprocess with a time limit. Allowed endings: findings or conversion results (exit
0/1), or a refusal (exit 2) whose stderr is one line, ``fineprep: error: ...``, naming the
file. Not allowed: a traceback, ``internal error``, a hang, a signal, a half-written output or
a temporary file left behind.

About 1,600 cases at ~0.3 s per process would take minutes, so files are batched: one process
checks (or converts) many files. A batch that ends in exit 2 names the file it refused; that
file is judged on its own line, and the other files are run again as a new batch. Anything
else unusual in a batch (a hang, a crash) is rerun file by file, so every problem is pinned to
one case. Textract and IDP cases always run alone (their reader treats several files as the
parts of one job).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import FIXTURES, TOKENIZER, needs_tokenizer
from tests.robustness.conftest import CORPUS, ROOT, WORKERS, Outcome, run_cli

MANIFEST = json.loads((CORPUS / "manifest.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
MODELS = [None, "nova-lite", "titan-text-express", "claude-3-haiku", "llama3-1-8b"]
CHECK_BATCH = 40
CONVERT_BATCH = 25
TIMEOUT = 90

#: Problems already reported and not yet fixed, each with the test in this folder that pins
#: its reproducer (xfail, strict): counted and printed, not failed on, so that the corpus keeps
#: guarding against everything else. Empty: every problem found so far is fixed.
KNOWN: dict[str, re.Pattern[str]] = {}


@dataclass
class Tally:
    """What happened to every case: outcome per (command, exit code) and problems found."""

    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    runs: list[tuple[float, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ran(self, outcome: Outcome, files: list[str]) -> Outcome:
        with self.lock:
            self.runs.append((outcome.seconds, len(files), files[0]))
        return outcome

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.outcomes[what] += n

    def problem(self, case: str, command: str, what: str) -> None:
        with self.lock:
            self.problems.append((case, command, what))

    def known(self) -> Counter[str]:
        return Counter(k for _, _, p in self.problems for k, rx in KNOWN.items() if rx.search(p))

    def unknown(self) -> list[tuple[str, str, str]]:
        return [x for x in self.problems if not any(rx.search(x[2]) for rx in KNOWN.values())]


def path_of(case: dict[str, Any]) -> str:
    return str(CORPUS / case["file"])


def convert_args(case: dict[str, Any]) -> list[str]:
    return [a.replace("{FIXTURES}", str(FIXTURES)) for a in case["convert"]]


def named(line: str, files: list[str]) -> str | None:
    """The batch file an error line names (the longest match, so ``a.csv`` never hides
    ``a.csv.x``)."""
    hits = [f for f in files if f in line]
    return max(hits, key=len) if hits else None


def crash(outcome: Outcome) -> str | None:
    """What went wrong in a way no input may cause, or None."""
    if outcome.timed_out:
        return f"hang: no result after {TIMEOUT} s"
    if outcome.code < 0:
        return f"killed by signal {-outcome.code}"
    if "Traceback" in outcome.err or "Traceback" in outcome.out:
        return "traceback: " + outcome.err[-400:]
    internal = [line for line in outcome.err_lines if line.startswith("fineprep: internal error")]
    if internal:
        return "internal error: " + internal[0][len("fineprep: internal error: ") :]
    if outcome.code not in (0, 1, 2):
        return f"exit code {outcome.code}"
    return None


def refusal(outcome: Outcome, files: list[str]) -> tuple[str | None, str | None]:
    """Judge an exit-2 stderr: (the file it names, a problem or None)."""
    lines = outcome.err_lines
    if not lines or not lines[0].startswith("fineprep: error: "):
        return None, f"exit 2 without 'fineprep: error:' first: {lines[:3]}"
    who = named(lines[0], files)
    if len(lines) != 1:
        return who, f"error spans {len(lines)} lines: {' | '.join(lines)[:300]}"
    if who is None:
        return None, f"error names no input: {lines[0][:300]}"
    return who, None


# ------------------------------------------------------------------------------------ check


def check_args(files: list[str], model: str | None) -> list[str]:
    args = [
        "check",
        "--no-cache",
        "--isolated",
        "--extend-select",
        "D003",
        "--output-format",
        "json",
    ]
    args += ["--stats"] if TOKENIZER else []  # token statistics run the tokenizer on every case
    return [*args, *(["-m", model] if model else []), *files]


def run_check(files: list[str], model: str | None, tally: Tally) -> None:
    """Check a batch; on a refusal judge the named file and go on with the others."""
    files = list(files)
    while files:
        outcome = tally.ran(run_cli(check_args(files, model), timeout=TIMEOUT), files)
        problem = crash(outcome)
        if problem and len(files) > 1:
            for f in files:  # pin the problem on one file
                run_check([f], model, tally)
            return
        if problem:
            tally.problem(files[0], "check", problem)
            tally.count("check: problem", 1)
            return
        if outcome.code in (0, 1):
            report = orjson.loads(outcome.out)
            if len(report["files"]) != len(files):
                tally.problem(files[0], "check", "report lists other files")
            tally.count(f"check exit {outcome.code}", len(files))
            return
        who, problem = refusal(outcome, files)
        if who is None or (problem and len(files) > 1):
            if len(files) == 1:
                tally.problem(files[0], "check", problem or "?")
                tally.count("check: problem", 1)
                return
            for f in files:
                run_check([f], model, tally)
            return
        if problem:
            tally.problem(who, "check", problem)
        tally.count("check exit 2", 1)
        files.remove(who)  # the files before it were cut short too: run them again


# ---------------------------------------------------------------------------------- convert


def output_problems(outcome: Outcome, out: Path) -> list[str]:
    """Whatever convert left in its folder must be complete: records and sidecar, line for line."""
    problems = []
    leftovers = [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    if outcome.code == 2 and out.exists():
        problems.append("exit 2 but a records file was written")
    if outcome.code == 0 and not out.exists():
        problems.append("exit 0 but no records file")
    if out.exists():
        lines = out.read_bytes().splitlines()
        if not all(type(orjson.loads(line)) is dict for line in lines):
            problems.append("records file has a line that is not a JSON object")
        meta = out.with_name(out.name.replace(".jsonl", ".meta.jsonl"))
        if not meta.exists() or len(meta.read_bytes().splitlines()) != len(lines):
            problems.append("sidecar missing or not line for line")
    return problems


def run_convert(
    files: list[str], args: list[str], workdir: Path, tally: Tally, counter: Callable[[], int]
) -> None:
    """Convert a batch; on a refusal judge the named file and go on with the others."""
    files = list(files)
    while files:
        out = workdir / f"run-{counter()}" / "out.jsonl"
        out.parent.mkdir(parents=True)
        args_ = ["convert", *files, "-o", str(out), "--isolated", *args]
        outcome = tally.ran(run_cli(args_, timeout=TIMEOUT), files)
        problem = crash(outcome)
        if problem is None and outcome.code == 2:
            last = outcome.err_lines[-1] if outcome.err_lines else ""
            if last.startswith("fineprep: error: nothing converted"):
                who = None  # a result for the whole batch, not a refusal of one file
                if len(files) == 1 and "hold no rows" in last and named(last, files) is None:
                    problem = f"error names no input: {last}"
            else:
                who, problem = refusal(outcome, files)
        else:
            who = None
        problems = ([problem] if problem else []) + output_problems(outcome, out)
        if len(files) > 1 and (problems or (outcome.code == 2 and who is None)):
            for f in files:
                run_convert([f], args, workdir, tally, counter)
            return
        for p in problems:
            tally.problem(who or files[0], "convert", p)
        if problems and who is None:
            tally.count("convert: problem", 1)
            return
        if outcome.code == 2 and who is not None:
            tally.count("convert exit 2", 1)
            files.remove(who)
            continue
        tally.count(f"convert exit {outcome.code}", len(files))
        return


def batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def summary(tally: Tally, what: str) -> str:
    lines = [
        f"{what}: {sum(tally.outcomes.values())} case runs: {dict(sorted(tally.outcomes.items()))}"
    ]
    lines.append(f"known issues hit: {dict(tally.known())}")
    slow = sorted(tally.runs, reverse=True)[:5]
    lines.append(f"{len(tally.runs)} processes, {sum(r[0] for r in tally.runs):.0f} s; slowest:")
    lines.extend(f"  {t:.1f} s, {n} files from {f}" for t, n, f in slow)
    lines.extend(f"  {case}: {cmd}: {problem}" for case, cmd, problem in tally.unknown()[:40])
    return "\n".join(lines)


def load_generator() -> Any:
    """``scripts/make_corpus.py`` as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "scripts/make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def _counter() -> Callable[[], int]:
    numbers = iter(range(10**9))
    return lambda: next(numbers)


# ------------------------------------------------------------------------------------ tests


def test_corpus_is_large_deterministic_and_small(tmp_path: Path) -> None:
    """500+ cases, under 15 MB, and exactly what the generator makes today."""
    assert len(CASES) >= 500
    files = [p for p in CORPUS.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 15_000_000
    module = load_generator()
    import pyarrow

    module.build(tmp_path / "corpus")
    same_arrow = MANIFEST["pyarrow"] == pyarrow.__version__
    made = {p.relative_to(tmp_path / "corpus") for p in (tmp_path / "corpus").rglob("*")}
    assert made == {p.relative_to(CORPUS) for p in CORPUS.rglob("*")}
    for rel in sorted(made):
        if (tmp_path / "corpus" / rel).is_dir() or rel.name == "manifest.json":
            continue
        if rel.suffix in (".parquet", ".arrow") and not same_arrow:
            continue  # another pyarrow writes other metadata bytes
        digest = hashlib.sha256((tmp_path / "corpus" / rel).read_bytes()).hexdigest()
        assert digest == hashlib.sha256((CORPUS / rel).read_bytes()).hexdigest(), rel


def test_check_survives_every_case() -> None:
    tally = Tally()
    work = []
    for k, chunk in enumerate(batches(CASES, CHECK_BATCH)):
        work.append(([path_of(c) for c in chunk], MODELS[k % len(MODELS)]))
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda job: run_check(job[0], job[1], tally), work))
    print(summary(tally, "check"))
    assert sum(tally.outcomes.values()) == len(CASES)
    assert not tally.unknown(), summary(tally, "check")


@needs_tokenizer  # pre-training cases chunk by tokens
def test_convert_survives_every_case(tmp_path: Path) -> None:
    tally = Tally()
    groups: dict[str, list[str]] = {}
    alone: list[tuple[str, list[str]]] = []
    for case in CASES:
        args = convert_args(case)
        if "--source" in args:  # textract, idp: one job per file
            alone.append((path_of(case), args))
        else:
            groups.setdefault(json.dumps(args), []).append(path_of(case))
    work = [
        (chunk, json.loads(key))
        for key, fs in groups.items()
        for chunk in batches(fs, CONVERT_BATCH)
    ]
    work += [([f], args) for f, args in alone]
    work.sort(key=lambda job: -len(job[0]))  # big batches first: better packing
    counter = _counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda job: run_convert(job[0], job[1], tmp_path, tally, counter), work))
    print(summary(tally, "convert"))
    assert sum(tally.outcomes.values()) == len(CASES)
    assert not tally.unknown(), summary(tally, "convert")


@pytest.mark.slow
@needs_tokenizer
def test_big_cases_end_cleanly(tmp_path: Path) -> None:
    """A 50 MB line and 100k-deep nesting, made at test time (too big to commit)."""
    module = load_generator()
    files = [str(p) for p in module.write_big_cases(tmp_path / "big")]
    tally = Tally()
    counter = _counter()
    for f in files:
        run_check([f], None, tally)
        run_convert([f], ["--to", "prompt-completion"], tmp_path, tally, counter)
    print(summary(tally, "big cases"))
    assert sum(tally.outcomes.values()) == 2 * len(files)
    assert not tally.problems, summary(tally, "big cases")
