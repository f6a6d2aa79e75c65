"""Mapping templates: sandbox, strict undefined fields, bare-field sugar, native values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fineprep.core.errors import ConfigError
from fineprep.stages.convert.templates import (
    RowError,
    canonical_json,
    compile_template,
    field_getter,
    lookup,
    to_text,
)

ROW = {"title": "Deed", "body": "Text", "label": "sale"}


def test_missing_field_names_it_and_the_row_fields() -> None:
    template = compile_template("prompt", "{{ titel }}: {{ body }}")
    with pytest.raises(RowError) as err:
        template.text(ROW)
    assert str(err.value) == (
        "template 'prompt' uses undefined field 'titel' (fields: title, body, label)"
    )


def test_missing_nested_field_names_what_the_object_has() -> None:
    template = compile_template("prompt", "{{ meta.author.nmae }}")
    with pytest.raises(RowError, match=r"field 'nmae' \(that object has: name, email\)"):
        template.text({"meta": {"author": {"name": "A", "email": "e"}}})


def test_bare_field_is_sugar_and_keeps_types() -> None:
    assert compile_template("c", "title").kind == "field"
    assert (
        compile_template("c", "meta.author.name").text({"meta": {"author": {"name": "A"}}}) == "A"
    )
    assert compile_template("c", "score").render({"score": 5}) == 5
    assert compile_template("c", "a.b").render({"a.b": "exact key wins", "a": {"b": "no"}}) == (
        "exact key wins"
    )
    with pytest.raises(RowError, match=r"undefined field 'x\.y' \('x' has: z\)"):
        compile_template("c", "x.y").text({"x": {"z": 1}})


def test_text_with_spaces_and_no_markup_is_literal() -> None:
    template = compile_template("system", "You classify news.")
    assert template.kind == "text"
    assert template.text({}) == "You classify news."


def test_single_expression_is_native_and_objects_become_canonical_json() -> None:
    template = compile_template("completion", "{{ answer }}")
    assert template.kind == "expression"
    assert template.text({"answer": {"b": 1, "a": [1, "é"]}}) == '{"a":[1,"é"],"b":1}'
    assert compile_template("c", "{{ n + 1 }}").text({"n": 1}) == "2"
    with pytest.raises(RowError, match="uses undefined field 'answer'"):
        template.text({})


def test_values_inside_text_print_as_a_whole_field_would() -> None:
    """Objects, lists and booleans in running text are canonical JSON and ``true``, never
    Python's repr (``{'a': None}``, ``True``): the same text as the value alone."""
    template = compile_template("prompt", "Meta: {{ m }} ok={{ ok }} l={{ l }} b={{ raw }}")
    row = {"m": {"b": [1, None], "a": None}, "ok": True, "l": ["x", "y"], "raw": b"caf\xc3\xa9"}
    assert template.text(row) == 'Meta: {"a":null,"b":[1,null]} ok=true l=["x","y"] b=café'
    assert compile_template("p", "n={{ n }} x={{ x }}").text({"n": 3, "x": 1.5}) == "n=3 x=1.5"
    with pytest.raises(RowError, match="printed inf"):
        compile_template("p", "x={{ x }}").text({"x": float("inf")})


def test_columns_that_are_not_identifiers_are_reached_through_row() -> None:
    template = compile_template("p", '{{ row["Unnamed: 0"] }}/{{ label | upper }}')
    assert template.text({"Unnamed: 0": "7", "label": "x"}) == "7/X"
    # A source field called row takes precedence over the helper.
    assert compile_template("p", "{{ row }}").text({"row": "mine"}) == "mine"


def test_json_filter_and_conditionals() -> None:
    assert compile_template("c", "{{ a | json }}").text({"a": {"z": 1, "y": 2}}) == (
        '{"y":2,"z":1}'
    )
    template = compile_template("c", "{% if a %}{{ a }}{% else %}none{% endif %}")
    assert template.text({"a": ""}) == "none"


def test_sandbox_refuses_unsafe_access() -> None:
    with pytest.raises(RowError, match="failed: access to attribute '__class__'"):
        compile_template("c", "{{ a.__class__ }}").text({"a": "x"})
    with pytest.raises(RowError, match="failed"):
        compile_template("c", "{{ a.append(1) }}").text({"a": [1]})


def test_syntax_error_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"template 'prompt': syntax error on line 1"):
        compile_template("prompt", "{{ title ")
    with pytest.raises(ConfigError, match="must be a string"):
        compile_template("prompt", 3)  # type: ignore[arg-type]


def test_empty_and_null_values_reject_the_row() -> None:
    with pytest.raises(RowError, match="rendered empty text"):
        compile_template("prompt", "body").text({"body": "  "})
    with pytest.raises(RowError, match="field 'body' is null; say how to write it"):
        compile_template("prompt", "body").text({"body": None})
    assert compile_template("system", "s").text({"s": ""}, allow_empty=True) == ""
    with pytest.raises(RowError, match=r"field .x. is null"):
        compile_template("prompt", "x").text({"x": float("nan")})


def test_to_text_of_plain_values() -> None:
    assert to_text(True, "c") == "true"
    assert to_text(Decimal("1.50"), "c") == "1.50"
    assert to_text(date(2024, 1, 2), "c") == "2024-01-02"
    assert to_text(b"bytes", "c") == "bytes"
    with pytest.raises(RowError, match="binary data"):
        to_text(b"\xff", "c")


def test_canonical_json_round_trips() -> None:
    assert canonical_json({"b": [1, {"d": 2, "c": 3}], "a": None}) == (
        '{"a":null,"b":[1,{"c":3,"d":2}]}'
    )
    assert canonical_json({1: "int key"}) == '{"1":"int key"}'
    assert canonical_json({"n": 2**70}) == f'{{"n":{2**70}}}'  # exact, not a float


def test_lookup_and_field_getter() -> None:
    assert lookup({"a": [{"b": 1}, {"b": 2}]}, "a.1.b") == 2
    with pytest.raises(ConfigError):
        field_getter("label", "")
    with pytest.raises(RowError, match="uses undefined field 'group'"):
        field_getter("group", "group").render({"x": 1})
