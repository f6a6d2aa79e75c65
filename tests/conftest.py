"""Shared test setup: offline tiktoken cache when the shared folder is present, helpers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
FIXTURES = ROOT / "fixtures"

# Encoding rank tables are cached per user; tests keep theirs out of the home folder.
os.environ.setdefault(
    "FINEPREP_ENCODING_CACHE", str(Path(tempfile.gettempdir()) / "fineprep-test-encodings")
)
if "TIKTOKEN_CACHE_DIR" not in os.environ and (SHARED / "tiktoken").is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken")


def _tokenizer_available(name: str) -> bool:
    try:
        from fineprep.tokens.encoding import load_encoding

        load_encoding(name)
    except Exception:
        return False
    return True


#: Llama 3's vocabulary comes with Meta's llama-models (a dependency); o200k and Qwen are
#: packaged. cl100k_base is only in tiktoken's cache (../shared/tiktoken in CI).
TOKENIZER = _tokenizer_available("llama3")
needs_tokenizer = pytest.mark.skipif(not TOKENIZER, reason="llama-models is not installed")
needs_cl100k = pytest.mark.skipif(
    not _tokenizer_available("cl100k_base"),
    reason="no cl100k_base (offline without TIKTOKEN_CACHE_DIR)",
)
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata absent")


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLI runs in tests never share or leave a result cache in the repository."""
    monkeypatch.setenv("PYTEST_TMP_CACHE", str(tmp_path_factory.mktemp("cache")))
