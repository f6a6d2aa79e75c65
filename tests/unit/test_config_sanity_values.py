"""Check options and job hyperparameters outside any meaningful range are refused when the
config is read, naming the key, the value and the range; the values Bedrock takes still load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fineprep.core.config import Settings, load_settings
from fineprep.core.errors import ConfigError


def _load(tmp_path: Path, text: str) -> Settings:
    config = tmp_path / "fineprep.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings(config)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[checks.B001]\nratio = -1", r"checks\.B001\.ratio.*-1.*at least 1"),
        ("[checks.B001]\nratio = 0.5", r"checks\.B001\.ratio.*0\.5.*at least 1"),
        ("[checks.L002]\nmin_chars = -3", r"checks\.L002\.min_chars.*-3.*at least 0"),
        ("[checks.L002]\nmin_chars = 2.5", r"checks\.L002\.min_chars.*2\.5.*whole number"),
        ("[checks.B002]\nmin-count = -1", r"checks\.B002\.min-count.*-1.*at least 0"),
        ("[rft.hyperparameters]\nmaxPromptLength = 0", r"maxPromptLength.*0.*minimum of 1"),
        ("[rft.hyperparameters]\nbatchSize = 8", r"batchSize.*8.*minimum of 16"),
        ("[rft.hyperparameters]\nevalInterval = 101", r"evalInterval.*101.*maximum of 100"),
        ("hyperparameters = {batchSize = 2.5}", r"hyperparameters\.batchSize.*2\.5.*whole"),
        ("hyperparameters = {batchSize = 0}", r"hyperparameters\.batchSize.*0.*at least 1"),
        ("hyperparameters = {batchSize = -1}", r"hyperparameters\.batchSize.*-1.*at least 1"),
        ('hyperparameters = {batchSize = "2.5"}', r"hyperparameters\.batchSize.*'2\.5'"),
        ('hyperparameters = {batchSize = "many"}', r"hyperparameters\.batchSize.*'many'"),
        ("hyperparameters = {batchSize = 100000}", r"hyperparameters\.batchSize.*100000.*9216"),
        ("hyperparameters = {epochCount = 0}", r"hyperparameters\.epochCount.*0.*at least 1"),
        ("hyperparameters = {epochCount = 1.5}", r"hyperparameters\.epochCount.*1\.5"),
    ],
)
def test_refused_when_read(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"fineprep\.toml: .*" + message):
        _load(tmp_path, body + "\n")


@pytest.mark.parametrize(
    "body",
    [
        "[checks.B001]\nratio = 1",
        "[checks.B001]\nratio = 2.5",
        "[checks.L002]\nmin_chars = 0",
        "[checks.L002]\nmin_chars = 5\nlabels = false",
        "[checks.B002]\nmin-count = 0",
        "[rft.hyperparameters]\nmaxPromptLength = 1\nbatchSize = 16\nlearningRate = 0.0001",
        '[rft.hyperparameters]\nreasoningEffort = "high"\nepochCount = 50',
        "hyperparameters = {batchSize = 8}",
        'hyperparameters = {batchSize = "8"}',
        "hyperparameters = {batchSize = 8.0}",
        'hyperparameters = {epochCount = "Auto"}',  # Titan Multimodal Embeddings takes it
        'hyperparameters = {epochCount = 2, learningRate = 0.00001, stepCount = "auto"}',
    ],
)
def test_sound_values_load(tmp_path: Path, body: str) -> None:
    _load(tmp_path, body + "\n")


def test_batch_size_reads_the_whole_number(tmp_path: Path) -> None:
    assert _load(tmp_path, 'hyperparameters = {batchSize = "16"}\n').batch_size() == 16
    assert _load(tmp_path, "hyperparameters = {batchSize = 8.0}\n").batch_size() == 8
    assert _load(tmp_path, "[tool.fineprep]\n").batch_size() is None


def test_batch_size_of_settings_made_in_code() -> None:
    """Settings built without a file (the Python API) are held to the same rule."""
    with pytest.raises(ConfigError, match=r"hyperparameters\.batchSize.*2\.5.*whole"):
        Settings(hyperparameters={"batchSize": 2.5}).batch_size()
    with pytest.raises(ConfigError, match=r"hyperparameters\.batchSize.*0.*at least 1"):
        Settings(hyperparameters={"batchSize": 0}).batch_size()
    with pytest.raises(ConfigError, match=r"hyperparameters\.batchSize.*True"):
        Settings(hyperparameters={"batchSize": True}).batch_size()
    assert Settings(hyperparameters={"batchSize": 4}).batch_size() == 4


def test_a_job_api_that_is_not_one_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "fineprep.toml"
    config.write_text('[models.gpt-oss-20b]\njob_api = "mantle"\n')
    with pytest.raises(ConfigError, match="job_api = 'mantle': must be one of bedrock, openai"):
        load_settings(config).model_profile("gpt-oss-20b")
