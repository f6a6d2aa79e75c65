"""Access to the published JSON Schemas (``schemas/``) and validation against them.

The schemas are the public contract (editors, other tools, the tests); the runtime reads the
same files, so the contract cannot drift from what fineprep enforces. In a wheel they live in
``fineprep/schemas``; in a source checkout (editable install) in the repository's ``schemas/``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fineprep.core.errors import ConfigError


def schema_dir() -> Path:
    packaged = Path(__file__).resolve().parents[1] / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/<name>.schema.json``."""
    path = schema_dir() / f"{name}.schema.json"
    with path.open("rb") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def _json_path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate_config(table: dict[str, Any], where: str) -> None:
    """Raise a ConfigError naming the first offending key, or return quietly."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("config"))
    errors = sorted(validator.iter_errors(table), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    key = _json_path(list(err.absolute_path))
    if err.validator == "additionalProperties":
        from fineprep.core.errors import did_you_mean

        known = err.schema.get("properties", {})
        extra = sorted(set(err.instance) - set(known))
        key = _json_path([*err.absolute_path, extra[0]]) if extra else key
        close = did_you_mean(str(extra[0]), known) if extra and known else ""
        raise ConfigError(
            f"{where}: unknown config key {key!r}{close}",
            hint="see the config reference in the README",
        )
    if err.validator == "not" and err.schema.get("description"):  # a key refused on purpose
        raise ConfigError(f"{where}: config key {key!r}: {err.schema['description']}")
    raise ConfigError(f"{where}: config key {key!r}: {err.message}")


def first_schema_error(name: str, doc: Any) -> str | None:
    """The first violation of ``schemas/<name>.schema.json`` as ``json.path: message``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(name))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
    return f"{path}: {err.message}"
