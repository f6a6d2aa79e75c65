"""The release tag the README's pre-commit snippet names is the package's version."""

from __future__ import annotations

import re
from pathlib import Path

from fineprep.core import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_readme_pre_commit_rev_is_the_version() -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    revs = re.findall(r"^\s*rev:\s*(\S+)\s*$", text, re.M)
    assert revs, "the README's pre-commit snippet has a rev:"
    assert set(revs) == {f"v{__version__}"}, (revs, __version__)


def test_version_is_semantic() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__), __version__


def test_contributing_documents_the_tag_process() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    assert "git tag -a v" in text and "rev:" in text and "test_release.py" in text
