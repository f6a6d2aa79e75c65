"""A JSON Schema validator whose ``pattern`` keywords cannot hang ``check``.

``jsonschema`` runs ``pattern``, ``patternProperties`` and the property-name matching of
``additionalProperties`` on Python's backtracking ``re``. The completion schema comes from a
config file, so those keywords are replaced here by versions that run on
:mod:`fineprep.core.user_regex` (RE2, or a time-limited engine): a pattern that runs out of
time on one answer is a validation error of that answer (a C002 finding), never a hang.

``unevaluatedProperties`` matches ``patternProperties`` deep inside jsonschema, out of reach
of a keyword override: a schema that combines them is refused up front rather than run on a
matcher that could hang.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.user_regex import PatternTimeout, UserPattern, compile_user_pattern


def safe_validator(cls: Any, schema: Any, where: str) -> Any:
    """``cls`` (a jsonschema validator class) extended with bounded pattern keywords, after
    compiling every pattern of ``schema`` (a ConfigError names the first bad one)."""
    import jsonschema
    from jsonschema.exceptions import ValidationError

    uses_unevaluated = False
    uses_pattern_properties = False
    for node in _nodes(schema):
        if isinstance(node.get("pattern"), str):
            compile_user_pattern(node["pattern"], where)
        if isinstance(node.get("patternProperties"), dict):
            uses_pattern_properties = True
            for key in node["patternProperties"]:
                compile_user_pattern(str(key), where)
        uses_unevaluated = uses_unevaluated or "unevaluatedProperties" in node
    if uses_unevaluated and uses_pattern_properties:
        raise ConfigError(
            f"{where}: unevaluatedProperties together with patternProperties is not supported",
            hint="use additionalProperties, or list the properties",
        )

    def search(validator: Any, pattern: str, text: str) -> bool:
        return compile_user_pattern(pattern, where).search(text) is not None

    def pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "string") or not isinstance(patrn, str):
            return
        try:
            if not search(validator, patrn, instance):
                yield ValidationError(f"{instance[:200]!r} does not match {patrn[:200]!r}")
        except PatternTimeout as exc:
            yield ValidationError(str(exc))

    def pattern_properties(validator: Any, pp: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object") or not isinstance(pp, dict):
            return
        for patrn, subschema in pp.items():
            for key, value in instance.items():
                try:
                    hit = search(validator, str(patrn), key)
                except PatternTimeout as exc:
                    yield ValidationError(str(exc))
                    continue
                if hit:
                    yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    def additional_properties(validator: Any, ap: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        properties = schema.get("properties", {})
        patterns: list[UserPattern] = [
            compile_user_pattern(str(p), where) for p in schema.get("patternProperties", {})
        ]
        extras = []
        for key in instance:
            if key in properties:
                continue
            try:
                if any(p.search(key) is not None for p in patterns):
                    continue
            except PatternTimeout as exc:
                yield ValidationError(str(exc))
                continue
            extras.append(key)
        if validator.is_type(ap, "object"):
            for key in extras:
                yield from validator.descend(instance[key], ap, path=key)
        elif ap is False and extras:
            shown = ", ".join(repr(k[:80]) for k in sorted(extras)[:10])
            yield ValidationError(f"Additional properties are not allowed ({shown} unexpected)")

    keywords: dict[str, Callable[[Any, Any, Any, Any], Iterator[Any]]] = {"pattern": pattern}
    validators = cls.VALIDATORS
    if "patternProperties" in validators:
        keywords["patternProperties"] = pattern_properties
    if "additionalProperties" in validators:
        keywords["additionalProperties"] = additional_properties
    extended = jsonschema.validators.extend(cls, keywords)  # type: ignore[no-untyped-call]
    return extended(schema)


def _nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every object inside a schema (iteratively: a deeply nested schema cannot recurse)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
