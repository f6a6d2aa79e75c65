"""Every fixed choice the config schema lists is the one the code accepts.

The schema is written by hand, the choices live in registries (formats, convert targets,
engines, augment strategies, severities, customization types) and in the model data
(``reasoningEffort``, the RFT hyperparameter ranges). Each enum here is compared with its
source, so a format added to the code cannot be refused in ``fineprep.toml`` while
``--format`` takes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import load_settings
from fineprep.core.limits import FORMATS as PROFILE_FORMATS
from fineprep.core.model import Severity
from fineprep.core.profiles import all_profiles, get_profile
from fineprep.core.schemas import load_schema


def _schema() -> dict[str, Any]:
    return load_schema("config")


def _props(*path: str) -> dict[str, Any]:
    node = _schema()
    for key in path:
        node = node["properties"][key]
    return node


def test_formats_are_the_registrys() -> None:
    from fineprep.formats import FORMATS

    assert _schema()["$defs"]["format"]["enum"] == list(FORMATS) == list(PROFILE_FORMATS)


def test_convert_targets_are_the_converters() -> None:
    from fineprep.cli.convert import TARGET_CHOICES
    from fineprep.stages.convert.targets import TARGETS

    assert _props("convert", "to")["enum"] == list(TARGETS) == list(TARGET_CHOICES)


def test_engines_are_the_registrys() -> None:
    from fineprep.engines.base import ENGINES

    assert _props("engine", "name")["enum"] == list(ENGINES)


def test_augment_strategies_are_the_augmenters() -> None:
    from fineprep.stages.augment.options import STRATEGIES

    one, many = _props("augment", "strategy")["oneOf"]
    assert one["enum"] == many["items"]["enum"] == list(STRATEGIES)


def test_control_chars_are_converts() -> None:
    from fineprep.stages.convert.options import _CHOICES

    items = _props("convert", "sources")["items"]["properties"]["control-chars"]
    assert _props("convert", "control-chars")["enum"] == items["enum"]
    assert items["enum"] == list(_CHOICES["control_chars"])


def test_severities_are_the_models() -> None:
    assert set(_schema()["$defs"]["severity"]["enum"]) == {s.value for s in Severity}


def test_customization_types_are_the_profiles() -> None:
    known = {c for p in all_profiles().values() for c in p.customization_types}
    assert set(_props("job", "customization-type")["enum"]) == known


def test_source_kinds_named_are_the_readers() -> None:
    from fineprep.stages.convert.sources.base import SOURCES
    from fineprep.stages.convert.sources.detect import load_readers

    load_readers()
    text = _props("convert", "source")["oneOf"][0]["description"]
    # Readers the package registers (other tests add fakes of their own to the registry).
    readers = {name for name in SOURCES if not name.startswith("test-")}
    assert set(text.replace(" or ", ", ").split(", ")) == readers


def _rft_profile() -> Any:
    return next(p for p in all_profiles().values() if "rft" in p.formats).for_customization(
        "REINFORCEMENT_FINE_TUNING"
    )


def test_rft_hyperparameters_are_the_model_datas() -> None:
    """Names, types, ranges and choices of ``[rft.hyperparameters]`` are the model data's."""
    props = _props("rft", "hyperparameters")["properties"]
    hps = {hp.name: hp for hp in _rft_profile().hyperparameters}
    assert set(props) == set(hps)
    for name, hp in hps.items():
        node = props[name]
        if hp.type == "enum":
            assert node["enum"] == list(hp.allow), name
            continue
        assert node["type"] == {"int": "integer", "float": "number"}[hp.type], name
        assert node.get("minimum") == hp.min, name
        assert node.get("maximum") == hp.max, name


@pytest.mark.parametrize(
    ("text", "attr", "value"),
    [
        ('format = "rft"\n', "format", "rft"),
        ('[tool.fineprep]\nformat = "rft"\n', "format", "rft"),
    ],
)
def test_rft_format_loads(tmp_path: Path, text: str, attr: str, value: str) -> None:
    config = tmp_path / "fineprep.toml"
    config.write_text(text, encoding="utf-8")
    assert getattr(load_settings(config), attr) == value


def test_convert_to_rft_loads(tmp_path: Path) -> None:
    config = tmp_path / "fineprep.toml"
    config.write_text('[convert]\nto = "rft"\nreference-answer = "answer"\n', encoding="utf-8")
    assert load_settings(config).sections["convert"]["to"] == "rft"


def test_every_format_loads(tmp_path: Path) -> None:
    config = tmp_path / "fineprep.toml"
    for fmt in PROFILE_FORMATS:
        config.write_text(f'format = "{fmt}"\n', encoding="utf-8")
        assert load_settings(config).format == fmt
        get_profile("nova-lite", {"formats": [fmt]})
