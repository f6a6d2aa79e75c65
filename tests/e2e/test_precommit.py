"""The hooks in .pre-commit-hooks.yaml, run by the real ``pre-commit`` in a scratch repository.

The hooks are used exactly as declared (id, files, exclude, pass_filenames, entry arguments);
only the installation is local (``language: system`` pointing at this interpreter) so the test
does not build a fresh virtualenv from the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOOD = (
    '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
    '[{"text":"q%d"}]},{"role":"assistant","content":[{"text":"answer %d"}]}]}\n'
)

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None
    or shutil.which("pre-commit", path=str(Path(sys.executable).parent)) is None,
    reason="needs git and pre-commit",
)


def _git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "labels"
    repo.mkdir()
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "FINEPREP_CACHE_DIR": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        hook["language"] = "system"  # this checkout's environment, which has every extra
        hook.pop("additional_dependencies", None)
        hook["entry"] = hook["entry"].replace("fineprep", f"{sys.executable} -m fineprep", 1)
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (repo / "fineprep.toml").write_text(
        'model = "nova-lite"\n[dataset]\ntrain = "data/train.jsonl"\n'
        'validation = "data/validation.jsonl"\n'
    )
    (repo / "data").mkdir()
    assert _git(repo, "init", "-q", env=env).returncode == 0
    run = subprocess.run(
        [str(Path(bindir) / "pre-commit"), "install"], cwd=repo, env=env, capture_output=True,
        text=True, check=False, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return repo, env


def test_bad_file_is_blocked_and_good_file_accepted(repo: tuple[Path, dict[str, str]]) -> None:
    path, env = repo
    train = path / "data" / "train.jsonl"
    val = path / "data" / "validation.jsonl"
    train.write_text("".join(GOOD % (i, i) for i in range(9)) + '{"schemaVersion": 1}\n')
    val.write_text(GOOD % (100, 100))
    _git(path, "add", "-A", env=env)
    blocked = _git(path, "commit", "-qm", "bad labels", env=env)
    assert blocked.returncode != 0
    out = blocked.stdout + blocked.stderr
    assert "data/train.jsonl:10: S001" in out and "Failed" in out
    assert "Traceback" not in out

    train.write_text("".join(GOOD % (i, i) for i in range(10)))
    _git(path, "add", "-A", env=env)
    accepted = _git(path, "commit", "-qm", "good labels", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    log = _git(path, "log", "--oneline", env=env).stdout
    assert "good labels" in log and "bad labels" not in log


def test_dataset_hook_sees_cross_file_problems(repo: tuple[Path, dict[str, str]]) -> None:
    path, env = repo
    (path / "fineprep.toml").write_text(
        'model = "nova-lite"\n[models.nova-lite]\nmax_records = 10\n[dataset]\n'
        'train = "data/train.jsonl"\nvalidation = "data/validation.jsonl"\n'
    )
    (path / "data" / "train.jsonl").write_text("".join(GOOD % (i, i) for i in range(10)))
    (path / "data" / "validation.jsonl").write_text(GOOD % (100, 100))
    _git(path, "add", "-A", env=env)
    blocked = _git(path, "commit", "-qm", "too many together", env=env)
    assert blocked.returncode != 0
    assert "N002" in blocked.stdout + blocked.stderr


def test_per_file_hook_runs_only_record_rules(repo: tuple[Path, dict[str, str]]) -> None:
    """Shards of two records pass the per-file hook: N001 (too few records) and the other
    dataset rules belong to the dataset hook, which still sees the declared files."""
    path, env = repo
    (path / "data" / "train.jsonl").write_text("".join(GOOD % (i, i) for i in range(10)))
    (path / "data" / "validation.jsonl").write_text(GOOD % (100, 100))
    shards = path / "data" / "shards"
    shards.mkdir()
    for n in range(3):
        # Two records each, the second a copy of the first: N001 and D001 would fire.
        (shards / f"part-{n}.jsonl").write_text(GOOD % (n, n) * 2)
    control = subprocess.run(
        [sys.executable, "-m", "fineprep", "check", "data/shards/part-0.jsonl", "--no-cache"],
        cwd=path, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert control.returncode == 1 and "N001" in control.stdout, control.stdout
    assert "D001" in control.stdout
    _git(path, "add", "-A", env=env)
    done = _git(path, "commit", "-qm", "shards", env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "N001" not in out and "D001" not in out and "Traceback" not in out

    # A per-record problem in a shard still blocks the commit.
    (shards / "part-1.jsonl").write_text(GOOD % (7, 7) + '{"schemaVersion": 1}\n')
    _git(path, "add", "-A", env=env)
    blocked = _git(path, "commit", "-qm", "bad shard", env=env)
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert "data/shards/part-1.jsonl:2: S001" in out and "N001" not in out
