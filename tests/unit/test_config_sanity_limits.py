"""Model limits a config sets are checked when it is read: a value no check could use is a
ConfigError naming the key, the value and what is allowed, never a traceback mid-run or a
silent change of meaning. Values Bedrock's documented limits allow keep loading.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fineprep.core.config import load_settings
from fineprep.core.errors import ConfigError
from fineprep.core.profiles import get_profile


def _load(tmp_path: Path, text: str) -> object:
    config = tmp_path / "fineprep.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings(config)


BAD_LIMITS = [
    ('file_name_pattern = "(["', r"limits\.file_name_pattern.*'\(\['.*regular expression"),
    ('file_name_pattern = "a{2,1}"', r"limits\.file_name_pattern.*regular expression"),
    ('formats = ["nonsense"]', r"limits\.formats.*'nonsense'.*prompt-completion"),
    ("formats = []", r"limits\.formats.*at least one"),
    ('customization_types = ["FINETUNING"]', r"limits\.customization_types.*'FINETUNING'"),
    ("token_band = {latin = [0.4, -0.2]}", r"limits\.token_band\.latin.*\[0\.4, -0\.2\].*low"),
    ("token_band = {latin = [0.1]}", r"limits\.token_band\.latin.*\[LOW, HIGH\]"),
    ("token_band = {cjk = [-1.5, 0.2]}", r"limits\.token_band\.cjk.*-1"),
    ("token_scale = {latin = 0}", r"limits\.token_scale\.latin.*0.*above 0"),
    ("min_records = 50\nmax_records = 10", r"limits\.min_records.*50.*max_records.*10"),
    ("caption_min_chars = 9\ncaption_max_chars = 3", r"limits\.caption_min_chars.*9.*3"),
    ("image_min_aspect = 2.0\nimage_max_aspect = 0.5", r"limits\.image_min_aspect"),
]


@pytest.mark.parametrize(("body", "message"), BAD_LIMITS)
def test_limits_refused_when_read(tmp_path: Path, body: str, message: str) -> None:
    """Refused before any model is known: the values mean nothing for any model."""
    with pytest.raises(ConfigError, match=r"fineprep\.toml: " + message):
        _load(tmp_path, f"[limits]\n{body}\n")


@pytest.mark.parametrize(("body", "message"), BAD_LIMITS)
def test_model_tables_refused_alike(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(r"limits\.", r"models\.nova-lite\.")):
        _load(tmp_path, f"[models.nova-lite]\n{body}\n")


def test_a_minimum_above_the_models_maximum(tmp_path: Path) -> None:
    """The model's own maximum counts once the model is known (Llama 3.1: 10,000)."""
    settings = _load(tmp_path, "[limits]\nmin_records = 30000\n")
    with pytest.raises(ConfigError, match=r"limits\.min_records = 30,?000.*max_records.*10,?000"):
        settings.model_profile("llama3-1-8b")  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"models\.llama3-1-8b\.min_records = 30,?000"):
        _load(tmp_path, "[models.llama3-1-8b]\nmin_records = 30000\n")


def test_the_message_names_the_config_file(tmp_path: Path) -> None:
    settings = _load(tmp_path, "[limits]\nmin_records = 30000\n")
    with pytest.raises(ConfigError, match=r"fineprep\.toml: limits\.min_records"):
        settings.model_profile("nova-lite")  # type: ignore[attr-defined]


GOOD_LIMITS = [
    'file_name_pattern = "^[A-Za-z0-9_.-]+$"',
    'formats = ["prompt-completion", "rft"]',
    "token_band = {latin = [-0.3, 0.3], cjk = [0.0, 0.0]}",
    "token_scale = {latin = 1.1}",
    "min_records = 1",
    "min_records = 20000",
    "max_records = 3",  # a lowered maximum below the model's minimum stays the user's choice
    "min_records = 10\nmax_records = 10",
    'customization_types = ["FINE_TUNING", "DISTILLATION"]',
]


@pytest.mark.parametrize("body", GOOD_LIMITS)
def test_sound_limits_load(tmp_path: Path, body: str) -> None:
    settings = _load(tmp_path, f'model = "nova-lite"\n[limits]\n{body}\n')
    assert settings.model_profile() is not None  # type: ignore[attr-defined]


def test_the_bundled_profiles_pass_their_own_checks() -> None:
    from fineprep.core.profiles import all_profiles

    for key, profile in all_profiles().items():
        values = {
            "formats": list(profile.formats),
            "token_band": profile.token_band,
            "min_records": profile.min_records,
        }
        if profile.file_name_pattern:
            values["file_name_pattern"] = profile.file_name_pattern
        get_profile(key, values)


def test_api_overrides_checked_alike() -> None:
    with pytest.raises(ConfigError, match=r"limits\.file_name_pattern"):
        get_profile("nova-lite", {"file_name_pattern": "(["})
    with pytest.raises(ConfigError, match=r"limits\.min_records = 30,?000"):
        get_profile("nova-lite", {"min_records": 30000})


def test_check_exits_2_naming_the_key(tmp_path: Path) -> None:
    """The command line: exit 2 and the key, not 'internal error'."""
    (tmp_path / "b6.toml").write_text('[limits]\nfile_name_pattern = "(["\n')
    data = tmp_path / "x.jsonl"
    data.write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    config = ["--config", str(tmp_path / "b6.toml")]
    proc = subprocess.run(
        [sys.executable, "-m", "fineprep", "check", str(data), "-m", "nova-lite", *config],
        env={**os.environ, "FINEPREP_NO_CACHE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr
    assert "limits.file_name_pattern" in proc.stderr and "unterminated" in proc.stderr
