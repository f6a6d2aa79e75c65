"""Tokenizer load time and memory, and the gap between each proxy and each exact tokenizer.

    pip install -e '.[bench]'
    python benchmarks/bench_tokenizers.py            # writes benchmarks/TOKENIZERS.md

Texts: the project's fixtures (and ../shared/realdata when present), and a generated
multilingual set: Faker's word lists per locale (real words, invented sentences), Python's
standard library as code. The gap is ``proxy / exact - 1`` over each set's total tokens, with
the 5th-95th percentile of the per-text ratio: the numbers behind the calibrations in
core/data/models.toml. cl100k_base is measured only when tiktoken's cache has it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXACT = ("llama3", "qwen3", "o200k_harmony")
PROXIES = ("o200k_base", "cl100k_base")
SETS = {
    "latin": ("en_US", "fr_FR", "de_DE", "es_ES"),
    "cjk": ("zh_CN", "ja_JP"),
    "cyrillic": ("ru_RU",),
    "arabic": ("ar_AA",),
}


def generated(per_locale: int = 150) -> dict[str, list[str]]:
    from faker import Faker

    out: dict[str, list[str]] = {}
    for name, locales in SETS.items():
        texts = []
        for loc in locales:
            fake = Faker(loc)
            fake.seed_instance(7)
            texts += [fake.paragraph(nb_sentences=8) for _ in range(per_locale)]
        out[name] = texts
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(stdlib.glob("*.py"))[:150]
    out["code"] = [f.read_text("utf-8", errors="replace")[:6000] for f in files]
    return out


def fixtures() -> dict[str, list[str]]:
    texts: list[str] = []
    paths = [*(ROOT / "fixtures").rglob("*.jsonl")]
    shared = ROOT.parent / "shared" / "realdata" / "bedrock_jsonl"
    if shared.is_dir():
        paths += sorted(shared.glob("*.jsonl"))
    for path in paths:
        for line in path.read_text("utf-8", errors="replace").splitlines()[:400]:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            texts += [s for s in _strings(obj) if len(s) > 20]
    return {"fixtures": texts}


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def gaps(sets: dict[str, list[str]]) -> list[tuple[str, str, str, float, float, float]]:
    from fineprep.core.errors import TokenizerUnavailable
    from fineprep.tokens.encoding import text_counter

    counters = {}
    for name in (*EXACT, *PROXIES):
        try:
            counters[name] = text_counter(name)
        except TokenizerUnavailable:
            continue
    rows = []
    for exact in ("llama3", "qwen3"):
        for proxy in PROXIES:
            if exact not in counters or proxy not in counters:
                continue
            for set_name, texts in sets.items():
                e = [counters[exact](t) for t in texts]
                p = [counters[proxy](t) for t in texts]
                ratios = sorted(pi / ei for pi, ei in zip(p, e, strict=True) if ei)
                if not ratios:
                    continue
                lo = ratios[len(ratios) // 20]
                hi = ratios[len(ratios) * 19 // 20]
                rows.append((exact, proxy, set_name, sum(p) / sum(e) - 1, lo - 1, hi - 1))
    return rows


def load_cost(name: str, cached: bool) -> tuple[float, float]:
    """Seconds to load ``name`` and the RSS it adds (MB), in a fresh process."""
    code = (
        "import resource,time\n"
        "r0=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t=time.perf_counter()\n"
        "from fineprep.tokens.encoding import text_counter\n"
        f"text_counter({name!r})('warm up')\n"
        "dt=time.perf_counter()-t\n"
        "r1=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(dt, (r1-r0)/1024)\n"
    )
    env = dict(os.environ)
    if not cached:
        env["FINEPREP_ENCODING_CACHE"] = "off"
    else:  # fill the rank cache first
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    best = (1e9, 0.0)
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        ).stdout.split()
        best = min(best, (float(out[0]), float(out[1])))
    return best


def main() -> None:
    lines = [
        "# Tokenizers: load cost and proxy gaps",
        "",
        "Made by `benchmarks/bench_tokenizers.py`.",
        "",
    ]
    lines += ["| tokenizer | load, no rank cache (s) | load, rank cache (s) | RSS added (MB) |"]
    lines += ["|---|---:|---:|---:|"]
    for name in (*EXACT, "o200k_base"):
        cold, mem = load_cost(name, cached=False)
        warm, _ = load_cost(name, cached=True)
        lines.append(f"| {name} | {cold:.3f} | {warm:.3f} | {mem:.0f} |")
    sets = {**fixtures(), **generated()}
    lines += [
        "",
        "| exact | proxy | texts | gap (total) | p5 | p95 |",
        "|---|---|---|---:|---:|---:|",
    ]
    for exact, proxy, set_name, total, lo, hi in gaps(sets):
        lines.append(
            f"| {exact} | {proxy} | {set_name} ({len(sets[set_name])}) | {total:+.1%} | "
            f"{lo:+.1%} | {hi:+.1%} |"
        )
    out = ROOT / "benchmarks" / "TOKENIZERS.md"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
