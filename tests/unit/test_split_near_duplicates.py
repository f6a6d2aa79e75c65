"""MinHash signatures, LSH (fineprep.stages.check.minhash, .lsh) and the D003/D004 checks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from fineprep.core.config import settings_from_table
from fineprep.core.errors import ConfigError
from fineprep.stages.check.engine import check_files
from fineprep.stages.check.lsh import (
    band_keys,
    candidate_pairs,
    lsh_params,
    similar_pairs,
    similarity,
)
from fineprep.stages.check.minhash import MinHasher, mix, prepare, shingle_hashes
from tests.conftest import REALDATA, needs_realdata

WORDS = [f"w{i}" for i in range(5000)]


def shingles(text: str, k: int = 3) -> set[tuple[str, ...]]:
    words = prepare(text).decode().split()
    if len(words) < k:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def edited_pairs(n: int, seed: int = 0) -> tuple[list[str], list[float]]:
    rng = random.Random(seed)
    texts, truth = [], []
    for _ in range(n):
        words = rng.choices(WORDS, k=rng.randint(5, 300))
        copy = list(words)
        for _ in range(rng.randint(0, len(words) // 6 + 1)):
            copy[rng.randrange(len(copy))] = rng.choice(WORDS)
        a, b = " ".join(words), " ".join(copy)
        texts += [a, b]
        truth.append(jaccard(a, b))
    return texts, truth


def test_prepare_folds_ascii_case_and_punctuation_but_keeps_other_scripts() -> None:
    assert prepare("Hello, WORLD!  (café)").split() == [b"hello", b"world", "café".encode()]
    assert prepare("snake_case and 42").split() == [b"snake_case", b"and", b"42"]


def test_estimate_is_unbiased_and_as_precise_as_minhash() -> None:
    texts, truth = edited_pairs(1500)
    sig, empty = MinHasher().signatures(texts)
    assert not empty.any()
    first = np.arange(0, len(texts), 2)
    error = similarity(sig, first + 1, first) - np.array(truth)
    assert abs(error.mean()) < 0.005
    assert error.std() < 0.045  # classic 128-function MinHash: about 0.035 on this data


def test_signatures_are_stable_and_mergeable() -> None:
    texts, _ = edited_pairs(50, seed=3)
    whole, _ = MinHasher().signatures(texts)
    parts = [MinHasher().signatures(texts[i : i + 7])[0] for i in range(0, len(texts), 7)]
    assert np.array_equal(whole, np.concatenate(parts))
    other_seed, _ = MinHasher(seed=2).signatures(texts)
    assert not np.array_equal(whole, other_seed)


@pytest.mark.parametrize("num_perm", [128, 12])
def test_densified_bins_take_the_first_non_empty_bin_in_their_order(num_perm: int) -> None:
    """The vectorised densification against its definition, for every count of non-empty
    bins from one to all (short texts to long ones), and with fewer bins than walk steps."""
    rng = random.Random(8)
    sizes = [1, 2, 3, 4, 5, 7, 10, 15, 25, 40, 60, 90, 150, 300, 900]
    texts = [" ".join(rng.choices(WORDS, k=rng.choice(sizes))) for _ in range(900)]
    hasher = MinHasher(num_perm=num_perm)
    sig, _ = hasher.signatures(texts)
    bins = hasher.num_perm
    hashes, counts = shingle_hashes([prepare(t) for t in texts], hasher.shingle)
    with np.errstate(over="ignore"):
        h = mix(hashes ^ hasher.salt)
        slot = (((h >> np.uint64(32)) * np.uint64(bins)) >> np.uint64(32)).tolist()
        low = (h & np.uint64(0xFFFFFFFF)).tolist()
    seen, at = set(), 0
    for row, n in enumerate(counts.tolist()):
        minima: dict[int, int] = {}
        for s, v in zip(slot[at : at + n], low[at : at + n], strict=True):
            minima[s] = min(v, minima.get(s, v))
        at += n
        seen.add(len(minima))
        want = [
            minima[j if j in minima else next(k for k in hasher.order[j] if k in minima)]
            for j in range(bins)
        ]
        assert sig[row].tolist() == want, row
    assert {1, 2, 3, 4, 5, bins} <= seen and len(seen) > min(60, bins - 2)


def test_short_and_empty_texts() -> None:
    sig, empty = MinHasher().signatures(["", "!!!", "one", "one two", "ONE two.", "two one"])
    assert empty.tolist() == [True, True, False, False, False, False]
    assert similarity(sig, np.array([4]), np.array([3]))[0] == 1.0
    assert similarity(sig, np.array([5]), np.array([3]))[0] < 0.2
    i, j, _ = similar_pairs(sig, 0.9, skip=empty)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(4, 3)]


def test_lsh_finds_planted_pairs_and_nothing_else() -> None:
    rng = random.Random(4)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(40, 120))) for _ in range(3000)]
    edited, planted = set(), set()
    for a, b in zip(range(0, 400, 2), range(1000, 1400, 2), strict=True):
        words = texts[a].split()
        words[len(words) // 2] = "changed"
        texts[b] = " ".join(words)
        edited.add((b, a))
        if jaccard(texts[a], texts[b]) >= 0.93:
            planted.add((b, a))
    sig, empty = MinHasher().signatures(texts)
    i, j, sim = similar_pairs(sig, 0.9, skip=empty)
    found = set(zip(i.tolist(), j.tolist(), strict=True))
    assert len(found & planted) >= 0.95 * len(planted)
    assert found <= edited
    assert (sim >= 0.9).all()


def test_candidates_of_a_large_bucket_grow_linearly() -> None:
    sig, _ = MinHasher().signatures(["the very same words here"] * 5000)
    bands, rows = lsh_params(0.9, 128)
    i, j = candidate_pairs(band_keys(sig, bands, rows))
    assert 4999 <= len(i) <= 2 * 5000
    assert (i > j).all()


def test_boundary_pairs_only_cross_it() -> None:
    texts = ["alpha beta gamma delta"] * 3 + ["alpha beta gamma delta"] * 2
    sig, _ = MinHasher().signatures(texts)
    i, j, _ = similar_pairs(sig, 0.9, boundary=3)
    assert set(i.tolist()) == {3, 4}
    assert (j < 3).all()


def test_lsh_params_favour_recall() -> None:
    bands, rows = lsh_params(0.9, 128)
    assert bands * rows <= 128
    assert 1 - (1 - 0.9**rows) ** bands >= 0.8
    assert 1 - (1 - 0.5**rows) ** bands <= 0.01


def run(tmp_path: Path, lines: list[str], validation: list[str] | None = None, **cfg: object):
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(lines) + "\n")
    val = []
    if validation is not None:
        (tmp_path / "dev.jsonl").write_text("\n".join(validation) + "\n")
        val = [str(tmp_path / "dev.jsonl")]
    settings = settings_from_table({"select": ["D003", "D004"], **cfg})
    return check_files([str(train)], settings, validation=val)


def record(text: str, answer: str = "ok") -> str:
    return json.dumps({"prompt": text, "completion": answer})


def test_d003_points_at_the_most_similar_earlier_record(tmp_path: Path) -> None:
    rng = random.Random(8)
    base = [" ".join(rng.choices(WORDS, k=60)) for _ in range(200)]
    lines = [record(t) for t in base]
    lines.append(record(base[17].upper() + " !"))
    result = run(tmp_path, lines)
    (finding,) = result.findings
    assert (finding.code, finding.location.line) == ("D003", 201)
    assert finding.data["first_line"] == 18
    assert finding.data["similarity"] >= 0.9


def test_d004_kinds_and_test_files(tmp_path: Path) -> None:
    train = [
        record("alpha beta gamma delta epsilon zeta eta theta", "x"),
        record("iota kappa", "y"),
    ]
    dev = [
        record("alpha beta gamma delta epsilon zeta eta theta", "x"),
        record("iota kappa", "z"),
        record("Alpha, beta, gamma, delta, epsilon, zeta, eta, theta.", "X"),
        record("something else entirely", "x"),
    ]
    result = run(tmp_path, train, dev)
    leaks = [f for f in result.findings if f.code == "D004"]
    kinds = [(f.location.line, f.data["kind"], f.data["train_line"]) for f in leaks]
    assert kinds == [(1, "exact", 1), (2, "same-input", 2), (3, "near", 1)]
    (tmp_path / "holdout.jsonl").write_text(dev[0] + "\n")
    settings = settings_from_table({"select": ["D004"]})
    tested = check_files(
        [str(tmp_path / "train.jsonl")], settings, test=[str(tmp_path / "holdout.jsonl")]
    )
    assert [(f.location.path.endswith("holdout.jsonl"), f.code) for f in tested.findings] == [
        (True, "D004")
    ]


@pytest.mark.parametrize("value", [0, 1.5, "high"])
def test_bad_threshold_is_a_config_error(tmp_path: Path, value: object) -> None:
    with pytest.raises(ConfigError):
        run(tmp_path, [record("a b c")], checks={"D003": {"threshold": value}})


@needs_realdata
def test_estimates_track_exact_jaccard_on_real_records(tmp_path: Path) -> None:
    path = REALDATA / "bedrock_jsonl" / "uber10K.jsonl"
    settings = settings_from_table({"select": ["D003"], "checks": {"D003": {"threshold": 0.5}}})
    result = check_files([str(path)], settings)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    texts = [row["prompt"] + "\n" + row["completion"] for row in rows]
    assert len(result.findings) >= 20
    errors = [
        f.data["similarity"] - jaccard(texts[f.location.line - 1], texts[f.data["first_line"] - 1])
        for f in result.findings
    ]
    assert max(abs(e) for e in errors) < 0.15
    assert abs(sum(errors) / len(errors)) < 0.03
