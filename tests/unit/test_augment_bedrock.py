"""The bedrock strategy against a fake Converse endpoint on 127.0.0.1 (botocore's real signing,
serialisation, error parsing) and with botocore's Stubber: paraphrases kept and checked, the
budget never exceeded, retries, and errors no retry fixes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fineprep.core.config import Settings
from fineprep.core.errors import FineprepError
from fineprep.stages.augment.bedrock import INSTRUCTION
from fineprep.stages.augment.runner import augment
from tests.converseserver import error, fake_converse, prompt_of, reply

MODEL = "amazon.nova-lite-v1:0"
PARAPHRASES = {
    "Where is my parcel?": "Could you tell me where my parcel is right now?",
    "My invoice is wrong.": "The invoice I received has a mistake in it.",
    "Cancel my order.": "Please cancel the order I placed.",
    "Why was I charged twice?": "What is the reason I was billed two times?",
}


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Fake credentials for signing, and no real waiting between retries."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)
    return waits


def dataset(tmp_path: Path, questions: list[str] | None = None) -> Path:
    data = tmp_path / "data.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": q},
                {"role": "assistant", "content": f"Answer {i}."},
            ]
        }
        for i, q in enumerate(questions or list(PARAPHRASES))
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def options(url: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "endpoint_url": url, "region": "us-east-1", **extra}


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(data: Path, tmp_path: Path, target: int, **bedrock: Any) -> Any:
    return augment(
        data, tmp_path / "out.jsonl", target=target, strategy="bedrock", max_per_record=1,
        bedrock=bedrock, settings=Settings(), run_checks=False,
    )  # fmt: skip


def test_paraphrases_from_the_fake_endpoint_are_kept(tmp_path: Path) -> None:
    with fake_converse(lambda m, body, n: reply(PARAPHRASES[prompt_of(body)])) as fake:
        result = run(dataset(tmp_path), tmp_path, 8, **options(fake.url))
    assert result.strategies == {"bedrock": 4} and not result.short
    out, meta = lines(tmp_path / "out.jsonl"), lines(tmp_path / "out.meta.jsonl")
    assert {r["messages"][0]["content"] for r in out[4:]} == set(PARAPHRASES.values())
    for record, m in zip(out[4:], meta[4:], strict=True):
        assert m["augment_strategy"] == "bedrock" and MODEL in m["augment_detail"]
        assert record["messages"][1]["content"].startswith("Answer ")
    assert len(fake.calls) == 4
    model, body = fake.calls[0]
    assert model == MODEL and body["system"] == [{"text": INSTRUCTION}]
    assert body["inferenceConfig"]["temperature"] == 0.7
    assert 64 <= body["inferenceConfig"]["maxTokens"] <= 100_000
    assert result.bedrock["calls"] == 4 and result.bedrock["tokens"] == 4 * 52


def test_throttling_is_retried_with_backoff(tmp_path: Path, _aws: list[float]) -> None:
    def respond(model: str, body: dict[str, Any], n: int) -> Any:
        if n <= 2:
            return error(429, "ThrottlingException", "Too many requests")
        return reply(PARAPHRASES[prompt_of(body)])

    with fake_converse(respond) as fake:
        result = run(dataset(tmp_path), tmp_path, 5, **options(fake.url, retries=3))
    assert result.made == 1 and len(fake.calls) == 3
    assert result.bedrock["retried"] == 2 and _aws == [0.5, 1.0]


def test_persistent_failure_stops_the_strategy_not_the_run(tmp_path: Path) -> None:
    with fake_converse(lambda m, b, n: error(503, "ServiceUnavailableException")) as fake:
        result = run(dataset(tmp_path), tmp_path, 6, **options(fake.url, retries=2))
    assert len(fake.calls) == 3  # one call and two retries, then no more
    assert result.made == 0 and result.short == {"": 2} and result.exit_code == 1
    assert any("ServiceUnavailableException after 3 attempts" in n for n in result.notes)
    assert (tmp_path / "out.jsonl").read_text() == dataset(tmp_path).read_text()


def test_the_call_budget_is_never_exceeded(tmp_path: Path) -> None:
    with fake_converse(lambda m, body, n: reply(PARAPHRASES[prompt_of(body)])) as fake:
        result = run(dataset(tmp_path), tmp_path, 8, **options(fake.url, max_calls=3))
    assert len(fake.calls) == 3 and result.made == 3 and result.short == {"": 1}
    assert any("budget reached (3 of 3 calls" in n for n in result.notes)


def test_the_token_budget_is_never_exceeded(tmp_path: Path) -> None:
    used: list[int] = []

    def respond(model: str, body: dict[str, Any], n: int) -> Any:
        # The model spends what it was allowed (the worst case for the budget).
        allowed = body["inferenceConfig"]["maxTokens"]
        text = prompt_of(body)
        spent = (len(INSTRUCTION.encode()) + len(text.encode()), allowed)
        used.append(sum(spent))
        return reply(PARAPHRASES[text], tokens=spent)

    budget = 1_000
    with fake_converse(respond) as fake:
        result = run(dataset(tmp_path), tmp_path, 8, **options(fake.url, max_tokens=budget))
    assert sum(used) <= budget and result.bedrock["tokens"] == sum(used)
    assert 0 < len(fake.calls) < 4 and any("budget reached" in n for n in result.notes)


def test_paraphrases_that_fail_a_check_are_refused(tmp_path: Path) -> None:
    questions = [
        "Where is my parcel?",
        "My invoice is wrong.",
        "Cancel my order.",
        "Why was I charged twice?",
        "Please call me back.",
        "Reset my password.",
    ]
    answers = {
        "Where is my parcel?": reply(""),
        "My invoice is wrong.": reply("  my INVOICE   is wrong. "),
        "Cancel my order.": reply("Cancel my order, and write to jane.doe@example.com about it."),
        "Why was I charged twice?": reply("Why " * 40),
        "Please call me back.": reply("Please ring me back when", stop="max_tokens"),
        "Reset my password.": reply('"Could you reset my password?"'),
    }
    with fake_converse(lambda m, body, n: answers[prompt_of(body)]) as fake:
        result = run(dataset(tmp_path, questions), tmp_path, 12, **options(fake.url))
    assert [r["messages"][0]["content"] for r in lines(tmp_path / "out.jsonl")[6:]] == [
        "Could you reset my password?"  # the quotes the model added are dropped
    ]
    assert result.bedrock["rejected"] == {
        "cut off (max tokens)": 2,
        "empty": 2,
        "identical to the original": 2,
        "new secret, personal data or placeholder": 2,
        "too long": 2,
    }  # each original is asked twice (max-per-record 1: two rounds) and refused twice
    assert len(fake.calls) == 11


def test_errors_no_retry_fixes_stop_the_run_with_one_line(tmp_path: Path) -> None:
    data = dataset(tmp_path)
    with (
        fake_converse(
            lambda m, b, n: error(403, "AccessDeniedException", "not authorized")
        ) as fake,
        pytest.raises(FineprepError) as info,
    ):
        run(data, tmp_path, 6, **options(fake.url))
    assert "AccessDeniedException: not authorized" in str(info.value)
    assert "\n" not in str(info.value) and len(fake.calls) == 1
    assert not (tmp_path / "out.jsonl").exists()


def test_with_botocore_stubber(tmp_path: Path) -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import ANY, Stubber

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    stub = Stubber(client)
    expected = {
        "modelId": MODEL,
        "system": [{"text": INSTRUCTION}],
        "messages": [{"role": "user", "content": [{"text": "Where is my parcel?"}]}],
        "inferenceConfig": {"maxTokens": ANY, "temperature": 0.2},
    }
    stub.add_client_error(
        "converse", "ModelNotReadyException", "warming up", 429, expected_params=expected
    )
    stub.add_response(
        "converse",
        {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [{"text": "Where has my parcel got to?"}],
                }
            },
            "stopReason": "end_turn",
            "usage": {"inputTokens": 60, "outputTokens": 9, "totalTokens": 69},
            "metrics": {"latencyMs": 3},
        },
        expected,
    )
    data = dataset(tmp_path, ["Where is my parcel?"])
    with stub:
        result = augment(
            data, tmp_path / "out.jsonl", target=2, strategy="bedrock", settings=Settings(),
            bedrock={"model": MODEL, "temperature": 0.2}, bedrock_client=client, run_checks=False,
        )  # fmt: skip
    stub.assert_no_pending_responses()
    assert result.made == 1 and result.bedrock["tokens"] == 69 and result.bedrock["retried"] == 1
    assert (
        lines(tmp_path / "out.jsonl")[1]["messages"][0]["content"] == "Where has my parcel got to?"
    )


def test_rules_first_bedrock_only_for_what_rules_cannot_make(tmp_path: Path) -> None:
    questions = ["How do I pay?", "Where is my parcel?"]
    with fake_converse(lambda m, body, n: reply(PARAPHRASES[prompt_of(body)])) as fake:
        result = augment(
            dataset(tmp_path, questions), tmp_path / "out.jsonl", target=4, max_per_record=1,
            strategy=["rules", "bedrock"], bedrock=options(fake.url), settings=Settings(),
            run_checks=False,
        )  # fmt: skip
    assert result.strategies == {"bedrock": 1, "rules": 1}
    assert [prompt_of(body) for _, body in fake.calls] == ["Where is my parcel?"]
