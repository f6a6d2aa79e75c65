"""Architecture rules: only cli/ imports click; the check path stays free of heavy imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "fineprep"
HEAVY = ("pandas", "boto3", "botocore", "great_expectations", "jinja2", "pyarrow", "tiktoken")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_only_cli_imports_click() -> None:
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        assert "click" not in _imports(path), f"{path.relative_to(SRC)} imports click"


def test_model_imports_nothing_of_fineprep() -> None:
    assert "fineprep" not in _imports(SRC / "model.py")


def test_check_of_a_small_file_imports_nothing_heavy(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text(
        "".join(
            '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
            f'[{{"text":"question {i}"}}]}},{{"role":"assistant","content":'
            f'[{{"text":"a{i}"}}]}}]}}\n'
            for i in range(20)
        )
    )
    code = (
        "import sys\n"
        "from fineprep.cli.main import main\n"
        "try:\n"
        f"    main(['check', '--model', 'nova-lite', '--isolated', {str(data)!r}])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "HEAVY:", proc.stdout
