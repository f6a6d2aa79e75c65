"""The config JSON Schema types every table, agrees with the loaders, and accepts real configs.

Editors complete and flag keys from ``schemas/config.schema.json``; fineprep validates every
config against the same file before any stage runs. So the schema must name every key each
stage reads (or a working config is refused) and refuse every other key (or a typo passes).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fineprep.core.config import load_settings
from fineprep.core.errors import ConfigError
from fineprep.core.schemas import load_schema
from fineprep.core.toml import loads
from tests.scripts import update_readme

ROOT = Path(__file__).resolve().parents[2]


def _objects(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            out.append((path, node))
        for key, value in node.items():
            out.extend(_objects(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_objects(value, f"{path}[{i}]"))
    return out


def test_generated_parts_are_current() -> None:
    text = (ROOT / "schemas/config.schema.json").read_text("utf-8")
    assert update_readme().updated_schema(text) == text, "run scripts/update_readme.py"


def test_every_table_is_typed() -> None:
    """No bare ``{"type": "object"}``: each says its keys or the type of its values."""
    for path, node in _objects(load_schema("config")):
        typed = {"properties", "additionalProperties", "patternProperties"} & set(node)
        assert typed, f"{path} is an untyped table"


def _keys(section: str) -> set[str]:
    return set(load_schema("config")["properties"][section]["properties"])


def _kebab(cls: Any) -> set[str]:
    return {f.name.replace("_", "-") for f in dataclasses.fields(cls)}


def test_schema_names_exactly_the_keys_each_stage_reads() -> None:
    from fineprep.core.profiles import ModelProfile
    from fineprep.stages.check.rules import ordered_rules
    from fineprep.stages.convert.options import _FIELDS, _SHARED
    from fineprep.stages.launch.request import JobOptions
    from fineprep.stages.split.options import _KEYS as SPLIT_KEYS
    from fineprep.stages.upload.options import UploadOptions

    convert = {k.replace("_", "-") for k in _FIELDS}
    assert _keys("convert") == {*convert, "sources"}
    items = load_schema("config")["properties"]["convert"]["properties"]["sources"]["items"]
    allowed = {k for k, v in items["properties"].items() if "not" not in v}
    assert allowed == convert - set(_SHARED)
    assert set(items["properties"]) - allowed == set(_SHARED)
    assert _keys("split") == SPLIT_KEYS
    assert _keys("upload") == _kebab(UploadOptions)
    assert _keys("job") == _kebab(JobOptions)
    limits = set(load_schema("config")["$defs"]["limits"]["properties"])
    assert limits == {f.name for f in dataclasses.fields(ModelProfile)} - update_readme().NOT_LIMITS
    checks = load_schema("config")["properties"]["checks"]["properties"]
    assert {c: set(v["properties"]) for c, v in checks.items()} == {
        r.code: set(r.options) for r in ordered_rules() if r.options
    }


def _readme_configs() -> list[tuple[str, dict[str, Any]]]:
    text = (ROOT / "README.md").read_text("utf-8")
    out = []
    for i, block in enumerate(re.findall(r"```toml\n(.*?)```", text, re.S)):
        doc = loads(block)
        table = doc.get("tool", {}).get("fineprep", doc) if "tool" in doc else doc
        out.append((f"README block {i + 1}", table))
    return out


def _sample_configs() -> list[tuple[str, dict[str, Any]]]:
    out = _readme_configs()
    for path in sorted(ROOT.glob("fixtures/**/*.toml")):
        doc = loads(path.read_text("utf-8"))
        if path.name == "pyproject.toml":
            doc = doc.get("tool", {}).get("fineprep", {})
        out.append((path.relative_to(ROOT).as_posix(), doc))
    return out


@pytest.mark.parametrize(("name", "table"), _sample_configs(), ids=lambda v: str(v)[:40])
def test_sample_configs_validate(name: str, table: dict[str, Any]) -> None:
    errors = list(jsonschema.Draft202012Validator(load_schema("config")).iter_errors(table))
    assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_readme_has_configs_to_validate() -> None:
    assert _readme_configs(), "the README's configuration reference has a ```toml block"


def _strict_tables(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of tables whose schema refuses unknown keys (following properties only)."""
    out = []
    if isinstance(node, dict) and node.get("type") == "object":
        if node.get("additionalProperties") is False:
            out.append(path)
        for key, sub in node.get("properties", {}).items():
            out.extend(_strict_tables(sub, (*path, key)))
    return out


TABLES = _strict_tables(load_schema("config"))


@pytest.mark.parametrize("path", TABLES, ids=lambda p: ".".join(p) or "(top)")
def test_schema_and_loader_agree_on_unknown_keys(path: tuple[str, ...], tmp_path: Path) -> None:
    """A typo at any table is refused by both, and the loader names it."""
    header = f"[{'.'.join(path)}]\n" if path else ""
    config = tmp_path / "fineprep.toml"
    config.write_text(f'{header}colour-typo = "x"\n', encoding="utf-8")
    table = loads(config.read_text("utf-8"))
    assert list(jsonschema.Draft202012Validator(load_schema("config")).iter_errors(table))
    with pytest.raises(ConfigError, match="colour-typo"):
        load_settings(config)


def test_models_tables_refuse_unknown_limits(tmp_path: Path) -> None:
    config = tmp_path / "fineprep.toml"
    config.write_text("[models.nova-lite]\nmax_recrods = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"max_recrods.*did you mean 'max_records'"):
        load_settings(config)
    config.write_text("[checks.D003]\nthreshhold = 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"threshhold.*did you mean 'threshold'"):
        load_settings(config)
    config.write_text("[models.nova-light]\nmax_records = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fineprep.toml: \[models.nova-light\].*'nova-lite'"):
        load_settings(config)
    config.write_text('[models."amazon.nova-lite-v1:0"]\nmax_records = 5\n', encoding="utf-8")
    assert load_settings(config).model_profile("nova-lite").max_records == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = " + "[" * 3000 + "]" * 3000, "too deeply|deeper than"),
        ("a = " + "[" * 40 + "]" * 40, "deeper than 32 levels"),
        ("tool = 1\n", "'tool' must be a table"),
        ("[tool]\nfineprep = 3\n", r"\[tool.fineprep\] must be a table"),
        ("[hyperparameters]\nlearningRate = nan\n", "hyperparameters.learningRate.*finite"),
        ("[hyperparameters]\nepochCount = inf\n", "hyperparameters.epochCount.*finite"),
        ("[rft.hyperparameters]\nlearningRate = -inf\n", "finite"),
    ],
)
def test_hostile_configs_are_one_line_errors(text: str, expected: str, tmp_path: Path) -> None:
    config = tmp_path / "fineprep.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected) as info:
        load_settings(config)
    assert "\n" not in str(info.value)
