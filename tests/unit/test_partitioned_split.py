"""A split scanned in partitions writes the files and the summary a single scan writes.

Generated datasets with duplicates and near-duplicates on both sides of partition boundaries
(one line per partition), a sidecar with labels and groups; ``--jobs 1``, 2 and 4 must give
byte-identical outputs. Small data, nothing timed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import load_settings
from fineprep.core.errors import InputError
from fineprep.engines.base import EngineOptions, resolve_into
from fineprep.stages.split.runner import split

TEXTS = [f"please reset the password of account {k} before the weekend" for k in range(5)]


def _settings(jobs: int) -> object:
    s = load_settings(isolated=True, overrides={"model": "nova-lite"})
    s.checks["B002"] = {"min-count": 1}
    section = {"min-bytes": 1, "partition-bytes": 1}
    if jobs == 1:
        s.sections["engine"] = resolve_into(section, jobs=1, engine="local")
    else:
        s.sections["engine"] = resolve_into(section, jobs=jobs)
    return s


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


ROWS = st.lists(
    st.tuples(st.integers(0, 4), st.sampled_from(["a", "b", "c"]), st.integers(0, 3)),
    min_size=12,
    max_size=40,
)


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=ROWS, sidecar=st.booleans())
def test_jobs_give_the_same_split(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[int, str, int]], sidecar: bool
) -> None:
    tmp = tmp_path_factory.mktemp("split")
    data = tmp / "data.jsonl"
    lines = [json.dumps({"prompt": TEXTS[t] + " " * w, "completion": c}) for t, c, w in rows]
    data.write_text("\n".join(lines) + "\n")
    if sidecar:
        meta = [json.dumps({"id": f"r{i}", "label": c, "group": f"g{t}" if w == 3 else None})
                for i, (t, c, w) in enumerate(rows)]  # fmt: skip
        (tmp / "data.meta.jsonl").write_text("\n".join(meta) + "\n")
    outs = []
    for jobs in (1, 2, 4):
        out = tmp / f"out{jobs}"
        result = split(
            str(data), out, validation=0.25, stratify="label", settings=_settings(jobs),
            run_checks=False,
        )  # fmt: skip
        outs.append((_outputs(out), result.counts))
    assert outs[1] == outs[0]
    assert outs[2] == outs[0]


def test_a_bad_line_in_a_later_partition_is_the_first_error(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    good = json.dumps({"prompt": "q", "completion": "a"})
    data.write_text("\n".join([good, good, "{bad", good, "[]"]) + "\n")
    for jobs in (1, 4):
        with pytest.raises(InputError, match=r"data.jsonl:3: invalid JSON"):
            split(str(data), tmp_path / f"o{jobs}", settings=_settings(jobs), run_checks=False)


def test_a_short_sidecar_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    good = json.dumps({"prompt": "q", "completion": "a"})
    data.write_text("\n".join([good] * 6) + "\n")
    (tmp_path / "data.meta.jsonl").write_text('{"id": "1"}\n{"id": "2"}\n')
    for jobs in (1, 4):
        with pytest.raises(InputError, match=r"fewer lines than the dataset \(no line 3\)"):
            split(str(data), tmp_path / f"o{jobs}", settings=_settings(jobs), run_checks=False)
    EngineOptions()  # the default options build
