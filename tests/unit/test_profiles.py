"""Model profiles: every model resolvable by key, ID, ID with context, alias and ARN; sources."""

from __future__ import annotations

import pytest

from fineprep.core.errors import ConfigError
from fineprep.core.profiles import all_profiles, get_profile

PROFILES = all_profiles()


def test_every_bedrock_facts_model_has_a_profile() -> None:
    want = {
        "nova-micro", "nova-lite", "nova-pro", "nova-2-lite", "nova-canvas", "claude-3-haiku",
        "llama3-1-8b", "llama3-1-70b", "llama3-2-1b", "llama3-2-3b", "llama3-2-11b",
        "llama3-2-90b", "llama3-3-70b", "titan-text-express", "titan-text-lite",
        "titan-text-premier", "titan-image-generator-v2", "titan-embed-image",
        "cohere-command", "cohere-command-light",
    }  # fmt: skip
    assert want <= set(PROFILES)


@pytest.mark.parametrize(
    "name",
    [
        "nova-lite",
        "amazon.nova-lite-v1:0",
        "amazon.nova-lite-v1:0:300k",
        "Nova_Lite",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0:300k",
    ],
)
def test_nova_lite_names(name: str) -> None:
    assert get_profile(name).key == "nova-lite"


def test_unknown_model_is_a_config_error_listing_choices() -> None:
    with pytest.raises(ConfigError, match="nova-lite"):
        get_profile("nova-ultra")


@pytest.mark.parametrize("key", list(PROFILES))
def test_profile_is_complete_and_sourced(key: str) -> None:
    p = PROFILES[key]
    assert p.base_model_id and p.formats and p.regions
    assert isinstance(p.legacy, bool)
    for attr in ("min_records", "max_records", "validation_supported", "formats"):
        assert p.sources.get(attr), f"{key}: no source for {attr}"
    if p.validation_supported is False:
        assert not p.max_validation_records


def test_overrides_are_validated() -> None:
    assert get_profile("nova-lite", {"max_records": 5}).max_records == 5
    with pytest.raises(ConfigError, match="max_recordz"):
        get_profile("nova-lite", {"max_recordz": 5})
