"""Variants never straddle splits: a record whose sidecar names its original in
``augmented_from`` lands in the original's split, whatever the seed, ratios, order and
similarity of the texts (a property test); split.json counts augmented records."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings
from fineprep.stages.split.runner import split

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike".split()


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(12))


def _dataset(
    tmp: Path, originals: int, variants: list[int], grouped: bool, seed: int
) -> tuple[Path, list[tuple[int, int]]]:
    """Originals and variants in a shuffled order; variants' texts share nothing with their
    original's, so only ``augmented_from`` can keep them together. Returns the data file and
    (variant line, original line) pairs, 0-based."""
    rng = random.Random(seed)
    rows: list[tuple[dict[str, object], dict[str, object], str]] = []
    for i in range(originals):
        label = "ab"[i % 2]
        meta: dict[str, object] = {"id": f"o{i}", "label": label}
        if grouped and i % 3 == 0:
            meta["group"] = f"g{i}"
        rows.append(({"prompt": _text(rng), "completion": label}, meta, f"o{i}"))
        for k in range(variants[i % len(variants)]):
            vmeta = {
                **meta,
                "id": f"o{i}#aug{k + 1}",
                "augmented_from": f"o{i}",
                "augment_strategy": "rules",
            }
            rows.append(({"prompt": _text(rng), "completion": label}, vmeta, f"o{i}"))
    rng.shuffle(rows)
    data = tmp / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r, _, _ in rows))
    (tmp / "data.meta.jsonl").write_text("".join(json.dumps(m) + "\n" for _, m, _ in rows))
    where = {m["id"]: n for n, (_, m, _) in enumerate(rows)}
    pairs = [
        (n, where[m["augmented_from"]]) for n, (_, m, _) in enumerate(rows) if "augmented_from" in m
    ]
    return data, pairs


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    originals=st.integers(4, 40),
    variants=st.lists(st.integers(0, 3), min_size=1, max_size=5),
    grouped=st.booleans(),
    stratify=st.booleans(),
    validation=st.sampled_from([0.1, 0.25, 0.4]),
    test=st.sampled_from([0.0, 0.2]),
    seed=st.integers(0, 10_000),
)
def test_variants_never_straddle_splits(
    tmp_path_factory: object,
    originals: int,
    variants: list[int],
    grouped: bool,
    stratify: bool,
    validation: float,
    test: float,
    seed: int,
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        data, pairs = _dataset(tmp, originals, variants, grouped, seed)
        result = split(
            data,
            tmp / "out",
            validation=validation,
            test=test,
            stratify="label" if stratify else None,
            seed=seed,
            settings=Settings(checks={"B002": {"min-count": 2}}),
            run_checks=False,
        )
        for variant, original in pairs:
            assert result.per_record[variant] == result.per_record[original]
        augmented = result.summary["augmented"]
        assert augmented["records"] == len(pairs)
        assert augmented["without_original"] == 0
        assert sum(augmented["splits"].values()) == len(pairs)


def test_split_json_counts_augmented_records_and_orphans(tmp_path: Path) -> None:
    data, pairs = _dataset(tmp_path, 30, [2], grouped=False, seed=3)
    meta = tmp_path / "data.meta.jsonl"
    lines = meta.read_text().splitlines()
    # One variant whose original was deleted from the dataset: it stands alone, and is said so.
    lines.append(json.dumps({"id": "x#aug1", "augmented_from": "x", "augment_strategy": "bedrock"}))
    meta.write_text("\n".join(lines) + "\n")
    with data.open("a") as fh:
        fh.write(json.dumps({"prompt": "orphan", "completion": "a"}) + "\n")
    result = split(data, tmp_path / "out", validation=0.2, stratify="label", settings=Settings())
    summary = json.loads((tmp_path / "out" / "split.json").read_text())
    assert summary["augmented"]["records"] == len(pairs) + 1
    assert summary["augmented"]["strategies"] == {"bedrock": 1, "rules": len(pairs)}
    assert summary["augmented"]["without_original"] == 1
    assert sum(sum(row.values()) for row in summary["augmented"]["classes"].values()) == 61
    assert summary["groups"]["merges"]["augmented"] == len(pairs)
    assert any("not in" in note and "augmented" in note for note in result.notes)
    assert result.check is not None and "D004" not in result.check.by_code()
