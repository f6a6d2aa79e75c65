"""The repository's scripts, imported by the tests that check what they generate."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


@cache
def script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def update_readme() -> ModuleType:
    """``scripts/update_readme.py`` (the README's and the config schema's generated parts)."""
    return script("update_readme")


def hostile_corpus() -> ModuleType:
    """``scripts/hostile_corpus.py`` (the hostile inputs the robustness run is made of)."""
    return script("hostile_corpus")
