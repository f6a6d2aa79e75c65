"""Near-duplicate detection (D003's engine) against datasketch's MinHashLSH on the same data.

Usage: python benchmarks/bench_near_duplicates.py [--records N] [--pairs P] [--threshold T]

Generates N records from a seeded generator (Zipf-distributed words, 20-200 words each) and
plants P near-duplicate pairs whose true Jaccard similarity of 3-word shingles is at least the
threshold. Each method runs in its own subprocess (so peak RSS is its own) on the same
shingles, threshold and number of hash functions; both verify their LSH candidates with their
own signature estimate. Prints time, peak RSS, recall on the planted pairs (all, and those at
least 0.05 above the threshold: pairs right at it pass an estimate only about half the time,
whatever the method) and how many reported pairs are really below the threshold. Needs
`pip install datasketch`; not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from typing import Any

SHINGLE = 3
NUM_PERM = 128


def generate(
    n: int, pairs: int, threshold: float, seed: int = 7
) -> tuple[list[str], set[tuple[int, int]]]:
    """Records and the planted (earlier, later) index pairs, deterministic for a seed."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    texts = [" ".join(rng.choices(vocab, weights, k=rng.randint(20, 200))) for _ in range(n)]
    planted: set[tuple[int, int]] = set()
    slots = rng.sample(range(n), 2 * pairs)
    for a, b in zip(slots[::2], slots[1::2], strict=True):
        words = rng.choices(vocab, weights, k=rng.randint(80, 200))
        while True:
            copy = list(words)
            for _ in range(rng.randint(1, 3)):
                copy[rng.randrange(len(copy))] = rng.choice(vocab)
            if jaccard(words, copy) >= threshold:
                break
        texts[a], texts[b] = " ".join(words), " ".join(copy)
        planted.add((min(a, b), max(a, b)))
    return texts, planted


def shingles(words: list[str]) -> set[str]:
    if len(words) < SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def run_fineprep(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    from fineprep.stages.check.lsh import similar_pairs
    from fineprep.stages.check.minhash import MinHasher

    hasher = MinHasher(num_perm=NUM_PERM, shingle=SHINGLE)
    sig, empty = hasher.signatures(texts)
    later, earlier, _ = similar_pairs(sig, threshold, skip=empty)
    return set(zip(earlier.tolist(), later.tolist(), strict=True))


def run_datasketch(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    from fineprep.stages.check.minhash import prepare

    sets = [[s.encode() for s in shingles(prepare(t).decode().split())] for t in texts]
    sketches = MinHash.bulk(sets, num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(sketches):
            session.insert(i, m)
    found: set[tuple[int, int]] = set()
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j != i and m.jaccard(sketches[j]) >= threshold:
                found.add((min(i, j), max(i, j)))
    return found


def child(method: str, args: argparse.Namespace) -> None:
    texts, planted = generate(args.records, args.pairs, args.threshold)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    run = run_fineprep if method == "fineprep" else run_datasketch
    found = run(texts, args.threshold)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    words = [t.split() for t in texts]
    truth = {pair: jaccard(words[pair[0]], words[pair[1]]) for pair in planted | found}
    clear = {pair for pair in planted if truth[pair] >= args.threshold + 0.05}
    result = {
        "method": method,
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(peak),
        "data_rss_mb": round(base_rss),
        "recall": round(len(found & planted) / len(planted), 4),
        "recall_clear": round(len(found & clear) / max(len(clear), 1), 4),
        "reported_pairs": len(found),
        "below_threshold": sum(1 for pair in found if truth[pair] < args.threshold),
    }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=2_000)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--method", choices=["fineprep", "datasketch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        child(args.method, args)
        return
    results: list[dict[str, Any]] = []
    for method in ("fineprep", "datasketch"):
        cmd = [sys.executable, __file__, "--method", method]
        cmd += ["--records", str(args.records), "--pairs", str(args.pairs)]
        cmd += ["--threshold", str(args.threshold)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(
        f"{args.records:,} records, {args.pairs:,} planted pairs, threshold {args.threshold}, "
        f"{NUM_PERM} hash functions, {SHINGLE}-word shingles"
    )
    for r in results:
        print(
            f"{r['method']:>10}: {r['seconds']:7.2f} s  peak RSS {r['peak_rss_mb']:5d} MB "
            f"(data {r['data_rss_mb']} MB)  recall {r['recall']:.4f} "
            f"(pairs >= threshold + 0.05: {r['recall_clear']:.4f})  "
            f"pairs {r['reported_pairs']:,} ({r['below_threshold']} below threshold)"
        )
    speedup = results[1]["seconds"] / max(results[0]["seconds"], 1e-9)
    print(f"fineprep is {speedup:.1f}x faster")


if __name__ == "__main__":
    main()
