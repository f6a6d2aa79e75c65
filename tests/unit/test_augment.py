"""``fineprep augment`` with the rules strategy: determinism, originals and answers untouched in
every format, provenance in the sidecar, goals and shortfalls, and the guard's refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineprep.core.config import Settings, settings_from_table
from fineprep.core.errors import ConfigError
from fineprep.formats import FORMATS, detect
from fineprep.stages.augment.rules import phrase_rule, render, rule_table, sites
from fineprep.stages.augment.runner import augment
from tests.conftest import needs_tokenizer

QUESTIONS = [
    "How do I reset my password?",
    "What is the refund policy for damaged items?",
    "Can you change my delivery address to the office?",
    "I want to cancel my subscription today.",
    "How do I update the card on my account?",
    "Could you explain the late fee on my invoice?",
    "I don't have access to my account any more.",
    "What is included in the premium plan?",
    "Can you pause my order until Monday?",
    "I can't log in on my phone.",
]


def write(
    tmp: Path, records: list[dict[str, Any]], metas: list[dict[str, Any]] | None = None
) -> Path:
    data = tmp / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    if metas is not None:
        (tmp / "data.meta.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metas))
    return data


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def claude(q: str, a: str) -> dict[str, Any]:
    return {
        "system": "Be brief.",
        "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
    }


def test_same_seed_same_bytes_other_seed_other_choice(tmp_path: Path) -> None:
    records = [claude(q, f"Answer {i}.") for i, q in enumerate(QUESTIONS)]
    data = write(tmp_path, records)
    outs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 7)):
        result = augment(
            data, tmp_path / f"{name}.jsonl", target=14, seed=seed, settings=Settings()
        )
        assert result.made == 4 and result.exit_code == 0
        outs.append(
            (
                (tmp_path / f"{name}.jsonl").read_bytes(),
                (tmp_path / f"{name}.meta.jsonl").read_bytes(),
            )
        )
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]  # another seed picks other originals first


def test_originals_are_copied_byte_for_byte(tmp_path: Path) -> None:
    raw = "".join(
        json.dumps(claude(q, "Yes."), indent=None, separators=(", ", ":  ")) + "\r\n"
        for q in QUESTIONS
    )
    data = tmp_path / "data.jsonl"
    data.write_bytes(raw.encode())
    augment(data, tmp_path / "out.jsonl", target=15, settings=Settings())
    assert (tmp_path / "out.jsonl").read_bytes().startswith(raw.encode())
    assert data.read_bytes() == raw.encode()  # the input is never touched


def test_sidecar_names_the_original_its_group_and_strategy(tmp_path: Path) -> None:
    records = [claude(q, f"Answer {i}.") for i, q in enumerate(QUESTIONS[:4])]
    metas = [
        {
            "id": f"t{i}",
            "label": "billing",
            "group": f"customer-{i // 2}",
            "source": f"t.csv:row {i + 2}",
            "ticket": i,
        }
        for i in range(4)
    ]
    data = write(tmp_path, records, metas)
    result = augment(data, tmp_path / "out.jsonl", target=8, settings=Settings())
    out, meta = lines(tmp_path / "out.jsonl"), lines(tmp_path / "out.meta.jsonl")
    assert len(out) == len(meta) == 8 and result.made == 4
    assert meta[:4] == metas  # the originals' sidecar lines as they were
    by_id = {m["id"]: m for m in metas}
    for record, m in zip(out[4:], meta[4:], strict=True):
        original = by_id[m["augmented_from"]]
        assert m["group"] == original["group"] and m["source"] == original["source"]
        assert m["ticket"] == original["ticket"] and m["label"] == "billing"
        assert m["augment_strategy"] == "rules" and "->" in m["augment_detail"]
        assert m["id"].startswith(original["id"] + "#aug")
        assert record["messages"][1] == records[metas.index(original)]["messages"][1]


def test_an_original_without_an_id_gets_one_its_variants_name(tmp_path: Path) -> None:
    data = write(tmp_path, [claude(q, f"Answer {i}") for i, q in enumerate(QUESTIONS[:3])])
    augment(data, tmp_path / "out.jsonl", target=4, settings=Settings())
    meta = lines(tmp_path / "out.meta.jsonl")
    (variant,) = [m for m in meta if "augmented_from" in m]
    named = [m for m in meta[:3] if m.get("id") == variant["augmented_from"]]
    assert len(named) == 1 and variant["augmented_from"].startswith("rec-")
    assert sum(1 for m in meta[:3] if m == {}) == 2  # only the one with a variant got an id


def test_a_variant_identical_to_an_existing_record_is_not_written(tmp_path: Path) -> None:
    records = [
        claude("How do I reset my password?", "Use the link."),
        claude("How can I reset my password?", "Use the link."),
    ]
    data = write(tmp_path, records)
    result = augment(data, tmp_path / "out.jsonl", target=4, max_per_record=1, settings=Settings())
    out = lines(tmp_path / "out.jsonl")
    # "How can I" -> "How do I" and "How do I" -> "How can I" would copy the other record.
    assert [r["messages"][0]["content"] for r in out[2:]] == ["How would I reset my password?"]
    assert set(result.rejected) == {"identical to an existing record"}
    assert result.short == {"": 1}


def test_shortfall_is_reported_and_fails(tmp_path: Path) -> None:
    records = [claude("Where is my parcel?", "On its way."), claude("How do I pay?", "By card.")]
    data = write(tmp_path, records, [{"label": "a"}, {"label": "a"}])
    result = augment(
        data, tmp_path / "out.jsonl", per_class=10, max_per_record=2, settings=Settings()
    )
    assert result.made == 2  # "How do I" has two alternatives; "Where is my parcel?" none
    assert result.short == {"a": 6} and result.exit_code == 1
    assert any("short of the goal" in line for line in result.summary())


def test_per_class_raises_only_the_classes_below(tmp_path: Path) -> None:
    records, metas = [], []
    for i, q in enumerate(QUESTIONS):
        records.append(claude(q, "ok"))
        metas.append({"id": str(i), "label": "big" if i < 8 else "small"})
    data = write(tmp_path, records, metas)
    result = augment(data, tmp_path / "out.jsonl", per_class=5, settings=Settings())
    assert result.classes["small"] == {"original": 2, "augmented": 3, "made": 3}
    assert result.classes["big"]["made"] == 0
    assert any(
        "small" in line and "60% augmented, over B005's 50%" in line for line in result.summary()
    )


def test_answer_labels_are_kept_when_the_input_had_no_sidecar(tmp_path: Path) -> None:
    records = [
        {"prompt": q, "completion": "yes" if i % 2 else "no"} for i, q in enumerate(QUESTIONS)
    ]
    data = write(tmp_path, records)
    result = augment(data, tmp_path / "out.jsonl", target=12, settings=Settings())
    meta = lines(tmp_path / "out.meta.jsonl")
    assert [m["label"] for m in meta[:10]] == [r["completion"] for r in records]
    assert all(m["label"] in ("yes", "no") for m in meta[10:])
    assert result.check is not None and result.check.stats["balance"]["classes"].keys() == {
        "no",
        "yes",
    }


def test_structured_and_system_text_are_left_alone(tmp_path: Path) -> None:
    records = [
        {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "What is your role? I am a bot."}],
            "messages": [
                {"role": "user", "content": [{"text": '{"ask": "How do I pay?"}'}]},
                {"role": "assistant", "content": [{"text": "{}"}]},
            ],
        },
        {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "What is your role? I am a bot."}],
            "messages": [
                {"role": "user", "content": [{"text": "How do I pay?"}]},
                {"role": "assistant", "content": [{"text": '{"how do i": "can you"}'}]},
            ],
        },
    ]
    data = write(tmp_path, records)
    result = augment(data, tmp_path / "out.jsonl", target=4, settings=Settings())
    out = lines(tmp_path / "out.jsonl")[2:]
    assert result.made == 2
    for variant in out:
        assert variant["system"] == records[1]["system"]
        assert variant["messages"][1] == records[1]["messages"][1]
        assert variant["messages"][0]["content"][0]["text"] in (
            "How can I pay?",
            "How would I pay?",
        )
    with_system = augment(
        data, tmp_path / "sys.jsonl", target=3, system=True, max_per_record=1, settings=Settings()
    )
    assert with_system.made == 1
    (variant,) = lines(tmp_path / "sys.jsonl")[2:]
    assert (
        variant["system"] != records[1]["system"]
        or variant["messages"][0] != records[1]["messages"][0]
    )


def test_user_rules_phrases_and_regexes_with_groups(tmp_path: Path) -> None:
    table = {
        "augment": {
            "builtin-rules": False,
            "rules": {
                "refund": ["reimbursement"],
                r"/^please (\w+)/i": [r"kindly \1"],
            },
        }
    }
    records = [{"prompt": "please check my refund status", "completion": "Done."}]
    data = write(tmp_path, records)
    result = augment(data, tmp_path / "out.jsonl", target=4, settings=settings_from_table(table))
    prompts = sorted(r["prompt"] for r in lines(tmp_path / "out.jsonl")[1:])
    assert result.made == 3
    assert prompts == sorted(
        [
            "kindly check my reimbursement status",
            "kindly check my refund status",
            "please check my reimbursement status",
        ]
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"/(unclosed/": ["x"]}, "not a valid regular expression"),
        ({"/(a)b/": [r"\2"]}, "names a group the pattern does not have"),
        ({"hello": []}, "expected a list of alternative strings"),
    ],
)
def test_bad_rules_are_config_errors(tmp_path: Path, rules: dict[str, Any], message: str) -> None:
    data = write(tmp_path, [{"prompt": "hello", "completion": "hi"}])
    with pytest.raises(ConfigError, match=message):
        augment(
            data,
            tmp_path / "out.jsonl",
            target=2,
            settings=settings_from_table({"augment": {"rules": rules}}),
        )


def test_case_and_word_boundaries() -> None:
    rules = rule_table({}, builtin=True)
    assert render(["HOW DO I PAY"], sites(["HOW DO I PAY"], rules), [0]) == ["HOW CAN I PAY"]
    text = ["so how do i pay? Yes, I am. I am here. Showdown"]
    found = sites(text, rules)
    assert [s.found for s in found] == ["how do i", "I am"]  # "I am." ends a clause
    assert render(text, found, [0, 0]) == ["so how can I pay? Yes, I am. I'm here. Showdown"]
    assert not sites(["whatisit, what's happened"], rules)
    assert render(["What's the fee?"], sites(["What's the fee?"], rules), [0]) == [
        "What is the fee?"
    ]
    curly = phrase_rule("don't", ["do not"])
    assert render(["I don’t know"], sites(["I don’t know"], [curly]), [0]) == ["I do not know"]


def test_a_rule_that_adds_personal_data_is_refused(tmp_path: Path) -> None:
    table = {
        "augment": {
            "builtin-rules": False,
            "rules": {"support": ["support@example.com", "the help desk"]},
        }
    }
    data = write(tmp_path, [{"prompt": "Ask support about it", "completion": "ok"}])
    result = augment(data, tmp_path / "out.jsonl", target=3, settings=settings_from_table(table))
    assert [r["prompt"] for r in lines(tmp_path / "out.jsonl")[1:]] == [
        "Ask the help desk about it"
    ]
    assert result.rejected == {"new secret, personal data or placeholder": 1}


def test_pretraining_records_have_no_prompt_to_reword(tmp_path: Path) -> None:
    data = write(tmp_path, [{"input": "How do I reset it? Like this."}])
    result = augment(data, tmp_path / "out.jsonl", target=2, settings=Settings())
    assert result.made == 0 and result.short == {"": 1}
    assert any("pretraining records without prompt text" in n for n in result.notes)


# One record per format, with rule phrases in the answers too: only prompts may change.
FORMAT_RECORDS: dict[str, Any] = {
    "prompt-completion": lambda q, a: {"prompt": q, "completion": a},
    "claude-messages": claude,
    "conversation": lambda q, a: {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "What is this? Can you help?"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/i.png"}}}},
                    {"text": q},
                ],
            },
            {"role": "assistant", "content": [{"text": a}]},
            {"role": "user", "content": [{"text": "Can you say more? " + q}]},
            {"role": "assistant", "content": [{"text": "Can you? " + a}]},
        ],
    },
    "distillation": lambda q, a: {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "x"}],
        "messages": [{"role": "user", "content": [{"text": q}]}],
    },
    "rft": lambda q, a: {
        "messages": [
            {"role": "system", "content": "I am a grader."},
            {"role": "user", "content": [{"type": "text", "text": q}]},
        ],
        "reference_answer": {"text": a, "how do i": "can you"},
    },
    "image-caption": lambda q, a: {"image-ref": "s3://b/c.png", "caption": q},
}
PHRASES = ["How do I", "What is", "Can you", "I want to", "don't", "I am", "could you", "cannot"]
fragment = st.builds(
    lambda p, w: f"{p} {w}",
    st.sampled_from(PHRASES),
    st.text(alphabet="abcdefgh ", min_size=1, max_size=12),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(sorted(FORMAT_RECORDS)),
    pairs=st.lists(st.tuples(fragment, fragment), min_size=1, max_size=6, unique=True),
    seed=st.integers(0, 1000),
)
def test_answers_are_never_changed(fmt: str, pairs: list[tuple[str, str]], seed: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        records = [FORMAT_RECORDS[fmt](q, a) for q, a in pairs]
        data = write(tmp, records)
        forced = fmt if fmt in ("distillation",) else None
        result = augment(
            data,
            tmp / "out.jsonl",
            target=len(records) * 3,
            seed=seed,
            format=forced,
            settings=Settings(),
            run_checks=False,
        )
        out = lines(tmp / "out.jsonl")
        meta = lines(tmp / "out.meta.jsonl")
        assert out[: len(records)] == records
        analyze = FORMATS.get(forced or detect(records[0]) or fmt).analyze
        ids = {m.get("id"): i for i, m in enumerate(meta[: len(records)])}
        for variant, m in zip(out[len(records) :], meta[len(records) :], strict=True):
            original = records[ids[m["augmented_from"]]]
            before = analyze(original, None, lambda *a: None)
            after = analyze(variant, None, lambda *a: None)
            assert [(s.path, s.role) for s in before.segments] == [
                (s.path, s.role) for s in after.segments
            ]
            changed = [
                s.role
                for s, t in zip(before.segments, after.segments, strict=True)
                if s.text != t.text
            ]
            assert changed and set(changed) <= {"user", "prompt", "caption"}
            assert before.others == after.others
        assert result.made == len(out) - len(records)


def test_the_goal_names_per_class_below_the_b002_minimum() -> None:
    """--per-class under B002's minimum (without --to-min) is the goal, and says so."""
    from fineprep.stages.augment.plan import plan

    goal = plan(
        {"a": 2, "b": 9},
        11,
        to_min=False,
        per_class=5,
        target=None,
        min_count=10,
        profile=None,
        minimum=None,
        validation=0.0,
        test=0.0,
    )
    assert goal.per_class == {"a": 5}
    assert goal.why == ["1 class below --per-class 5"]


@needs_tokenizer
def test_a_variant_over_the_token_limit_is_left_out(tmp_path: Path) -> None:
    """ "I want to" -> "I would like to" on a record near Llama 3.1's 16k limit would push it
    over: the variant is judged by check's own token rules before it is written, left out and
    counted, and the goal reported short (the other records have nothing to reword)."""
    near = {"prompt": "Please answer. " + "I want to go home. " * 2660, "completion": "ok then."}
    plain = [{"prompt": f"Item {i}.", "completion": f"Blue {i}."} for i in range(8)]
    data = write(tmp_path, [near, *plain])
    settings = settings_from_table({"model": "llama3-1-8b"})
    out = tmp_path / "out.jsonl"
    result = augment(data, out, target=10, held_out=0, settings=settings)
    assert result.rejected.get("over the model's token limits", 0) >= 1
    assert result.made == 0 and sum(result.short.values()) == 1
    assert result.check is not None
    assert not {f.code for f in result.check.findings} & {"T001", "T002", "T003"}
    assert lines(out) == [near, *plain]
