"""The hostile corpus (``tests/corpus/hostile.json``, made by ``scripts/hostile_corpus.py``):
every run ends as findings or a one-line refusal, and reports stay inert.

Cases run in worker processes (``hostile_worker.py``), each case with a time limit: a case
that does not end in time is a hang, a worker that dies is a crash; either way the worker is
replaced and the next case runs. Outcomes per family are printed; "other" (internal error,
traceback, hang, signal, a multi-line or anonymous refusal, output that is not inert) must be 0.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.robustness.conftest import CORPUS, ROOT, cli_env

CASES: list[dict[str, Any]] = json.loads((CORPUS / "hostile.json").read_text("utf-8"))["cases"]
TIMEOUT = 60
WORKERS = 2
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
BIDI_OR_CR = re.compile("[\r\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def not_inert(fmt: str, out: str) -> str | None:
    """Why a report lets data act (None when it does not)."""
    if fmt == "html":
        body = out.split("<body", 1)[-1]
        hit = BIDI_OR_CR.search(body) or re.search("\x1b", body)
        return f"raw {hit.group()!r} in the HTML" if hit else None
    if fmt == "json":
        return "raw ESC in JSON" if "\x1b" in out else None
    hit = RAW.search(out)
    if hit:
        return f"raw {hit.group()!r} in the {fmt} report"
    for line in out.splitlines():
        command = line.lstrip().startswith("::")
        if fmt == "github" and not re.match(r"::(error|warning|notice) ", line):
            return f"line that is not an annotation: {line[:80]!r}"
        if fmt == "text" and command:
            return f"text line that is a workflow command: {line[:80]!r}"
    return None


def judge(case: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    """``exit N`` for a clean end, else ``other: why``."""
    codes = []
    for run in runs:
        err, code = run["err"], run["code"]
        if run["exception"]:
            return f"other: exception {run['exception']}"
        if "Traceback" in err or "Traceback" in run["out"]:
            return "other: traceback"
        if "internal error" in err:
            return "other: " + err.strip().splitlines()[-1][:300]
        if code not in (0, 1, 2):
            return f"other: exit {code}"
        if code == 2:
            lines = [line for line in err.splitlines() if line.strip()]
            # convert reports its rejected rows before the line that ends the run
            if lines and lines[-1].startswith("fineprep: error: nothing converted"):
                lines = lines[-1:]
            if len(lines) != 1 or not lines[0].startswith("fineprep: error: "):
                return f"other: refusal not one line: {' | '.join(lines)[:300]}"
        if case.get("inert") and code in (0, 1):
            why = not_inert(case["inert"], run["out"])
            if why:
                return f"other: {why}"
        codes.append(code)
    return f"exit {codes[-1]}"


class Worker:
    """One worker process; lines it prints go to a queue read with a time limit."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.robustness.hostile_worker"],
            cwd=ROOT,
            env=cli_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def run(self, case: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT)
            except queue.Empty:
                return "hang", []
            if line is None:
                return f"died ({self.proc.wait()})", []
            if line.startswith("END "):
                return "ok", json.loads(line[4:])["runs"]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def run_all(cases: list[dict[str, Any]]) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    lock = threading.Lock()

    def serve(chunk: list[dict[str, Any]]) -> None:
        worker = Worker()
        try:
            for case in chunk:
                how, runs = worker.run(case)
                verdict = judge(case, runs) if how == "ok" else f"other: {how}"
                if how != "ok":
                    worker.stop()
                    worker = Worker()
                with lock:
                    verdicts[case["id"]] = verdict
        finally:
            worker.stop()

    chunks = [cases[k::WORKERS] for k in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(serve, chunks))
    return verdicts


def report(verdicts: dict[str, str]) -> str:
    per_family: dict[str, Counter[str]] = {}
    for case_id, verdict in verdicts.items():
        outcome = "other" if verdict.startswith("other") else verdict
        per_family.setdefault(case_id.split("/")[0], Counter())[outcome] += 1
    total = Counter("other" if v.startswith("other") else v for v in verdicts.values())
    lines = [f"hostile corpus: {len(verdicts)} cases: {dict(sorted(total.items()))}"]
    lines += [f"  {fam}: {dict(sorted(c.items()))}" for fam, c in sorted(per_family.items())]
    lines += [f"  {k}: {v}" for k, v in sorted(verdicts.items()) if v.startswith("other")][:60]
    return "\n".join(lines)


def test_corpus_has_3000_cases() -> None:
    files = json.loads((CORPUS / "manifest.json").read_text("utf-8"))["cases"]
    print(f"corpus: {len(files)} file cases + {len(CASES)} hostile runs")
    assert len(files) + len(CASES) >= 3000
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.slow
def test_every_hostile_case_ends_cleanly() -> None:
    verdicts = run_all(CASES)
    summary = report(verdicts)
    print(summary)
    assert len(verdicts) == len(CASES)
    assert not [v for v in verdicts.values() if v.startswith("other")], summary
