"""``fineprep augment`` end to end: a 20-record Claude 3 Haiku dataset (N001) becomes one that
passes ``check`` and splits without a leak; ``fineprep run`` augments after convert and the
manifest counts the variants; bedrock through the CLI against a fake endpoint; bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import FIXTURES
from tests.converseserver import fake_converse, prompt_of, reply
from tests.e2e.cli import fineprep
from tests.s3server import (  # noqa: F401  (fixtures)
    FaultProxy,
    aws_env,
    aws_fixture,
    make_bucket,
    moto_fixture,
    proxy_fixture,
)

QUESTIONS = {
    "billing": [
        "How do I update the card on my account?",
        "Why was I charged twice for order 1031?",
        "Can you send me a copy of my last invoice?",
        "What is the late fee on my March bill?",
        "I want to pay my bill by bank transfer.",
        "Could you refund the delivery charge?",
        "I don't recognise a charge from last week.",
    ],
    "shipping": [
        "Where is my parcel for order 2202?",
        "Can you change my delivery address?",
        "How do I track a parcel sent by courier?",
        "What is the delivery time to Norway?",
        "I want to pick up my order at the depot.",
        "Could you ship the missing item separately?",
        "My parcel arrived damaged, what now?",
    ],
    "account": [
        "How do I reset my password?",
        "I can't log in on my phone.",
        "Can you merge my two accounts?",
        "What is two-step verification?",
        "I want to close my account.",
        "Could you change the e-mail on my account?",
    ],
}


def haiku_dataset(folder: Path) -> Path:
    """20 Claude 3 Haiku records in three classes, labelled in the sidecar."""
    records, metas = [], []
    for label, questions in QUESTIONS.items():
        for i, q in enumerate(questions):
            answer = (
                f"Thanks for asking. For {label} questions like this, see help article {i + 1}."
            )
            records.append(
                {"system": "You are a support agent.", "messages": [
                    {"role": "user", "content": q}, {"role": "assistant", "content": answer}]}
            )  # fmt: skip
            metas.append(
                {
                    "id": f"{label}-{i}",
                    "label": label,
                    "source": f"tickets.csv:row {len(metas) + 2}",
                }
            )
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "tickets.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    (folder / "tickets.meta.jsonl").write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in metas))
    return data


def metas(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_20_record_claude_haiku_dataset_reaches_the_minimum_and_splits_without_leak(
    tmp_path: Path,
) -> None:
    data = haiku_dataset(tmp_path)
    before = fineprep(
        "check", "-m", "claude-3-haiku", "--isolated", "--output-format", "json", str(data)
    )
    assert before.code == 1 and "N001" in json.loads(before.out)["summary"]["by_code"]

    out = tmp_path / "augmented.jsonl"
    run = fineprep(
        "augment", str(data), "-o", str(out), "--to-min", "-m", "claude-3-haiku", "--isolated"
    )
    assert run.code == 0, run.out + run.err
    assert "dataset: 20 original + " in run.err and "made " in run.err
    assert "class 'account': 6 original + 6 augmented = 12 (50% augmented)" in run.err
    assert out.read_bytes().startswith(data.read_bytes())  # the originals, untouched
    set_manifest = json.loads((tmp_path / "augmented.set.json").read_text())
    assert set(set_manifest["members"]) == {"augmented.jsonl", "augmented.meta.jsonl"}

    check = fineprep(
        "check", "-m", "claude-3-haiku", "--isolated", "--extend-select", "D003",
        "--output-format", "json", str(out),
    )  # fmt: skip
    report = json.loads(check.out)
    assert check.code == 0, check.out
    assert "N001" not in report["summary"]["by_code"] and "B002" not in report["summary"]["by_code"]
    assert "D003" not in report["summary"]["by_code"]  # no variant reported against its original
    assert report["summary"]["records"] >= 37

    split = fineprep("split", str(out), "-o", str(tmp_path / "split"), "-m", "claude-3-haiku",
                     "--stratify", "label", "--isolated", "--output-format", "json")  # fmt: skip
    assert split.code == 0, split.out + split.err
    assert "D004" not in json.loads(split.out)["summary"]["by_code"]
    summary = json.loads((tmp_path / "split" / "split.json").read_text())
    assert summary["augmented"]["records"] == report["summary"]["records"] - 20
    assert summary["augmented"]["without_original"] == 0
    where: dict[str, str] = {}
    for side in ("train", "validation"):
        for m in metas(tmp_path / "split" / f"{side}.meta.jsonl"):
            where[m["id"]] = side
    variants = [i for i in where if "#aug" in i]
    assert variants and all(where[v] == where[v.split("#aug")[0]] for v in variants)

    final = fineprep(
        "check", "-m", "claude-3-haiku", "--isolated", str(tmp_path / "split" / "train.jsonl"),
        "--validation", str(tmp_path / "split" / "validation.jsonl"), "--output-format", "json",
    )  # fmt: skip
    assert final.code == 0, final.out
    assert not {"N001", "D004"} & set(json.loads(final.out)["summary"]["by_code"])


def test_run_augments_after_convert_and_the_manifest_counts_it(
    aws: FaultProxy, tmp_path: Path
) -> None:
    demo = tmp_path / "demo"
    demo.mkdir()
    shutil.copy(FIXTURES / "demo" / "run" / "tickets.csv", demo / "tickets.csv")
    (demo / "fineprep.toml").write_text(
        'model = "nova-lite"\n\n[convert]\ninputs = ["tickets.csv"]\nto = "conversation"\n'
        'prompt = "{{ customer_message }}"\ncompletion = "{{ agent_reply }}"\n'
        'label = "category"\nid = "ticket_id"\n\n'
        '[augment]\nper-class = 14\nstrategy = ["template", "rules"]\n\n'
        '[augment.template]\nprompts = ["Customer message: {{ customer_message }}"]\n\n'
        '[split]\nvalidation = 0.2\nstratify = "label"\n\n'
        f'[upload]\nto = "s3://fineprep-demo/runs/r1/"\nendpoint-url = "{aws.url}"\n'
        '[job]\nrole-arn = "arn:aws:iam::123456789012:role/BedrockTuning"\n'
    )
    make_bucket(aws.url, "fineprep-demo")
    run = fineprep("run", "--config", str(demo / "fineprep.toml"), env=dict(aws_env()))
    assert run.code == 0, run.out + run.err
    assert "[ok  ] augment: 6 variants (template 6) -> " in run.out
    manifest = json.loads((demo / "fineprep-out" / "split" / "manifest.json").read_text())
    assert manifest["augmented"] == {"records": 6, "strategies": {"template": 6}}
    files = {f["name"]: f for f in manifest["files"]}
    per_file = (
        files["train.jsonl"]["augmented"]["records"]
        + files["validation.jsonl"]["augmented"]["records"]
    )
    assert per_file == 6
    assert manifest["split"]["augmented"]["records"] == 6
    html = (demo / "fineprep-out" / "report.html").read_text()
    assert "Original and augmented records per class" in html and 'id="augmented-classes"' in html


def test_bedrock_through_the_cli_against_a_fake_endpoint(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(
        json.dumps({"prompt": "Where is my parcel?", "completion": "On its way."}) + "\n"
    )
    env = {**aws_env(), "AWS_DEFAULT_REGION": "us-east-1"}
    with fake_converse(lambda m, body, n: reply("Where has my parcel got to?")) as fake:
        run = fineprep(
            "augment", str(data), "-o", str(tmp_path / "o.jsonl"), "--target", "2", "--isolated",
            "--strategy", "bedrock", "--bedrock-model", "amazon.nova-micro-v1:0",
            "--endpoint-url", fake.url, "--max-calls", "5", env=env,
        )  # fmt: skip
    assert run.code == 0, run.err
    assert [prompt_of(body) for _, body in fake.calls] == ["Where is my parcel?"]
    assert "bedrock: 1 calls (0 retried)" in run.err
    (variant,) = metas(tmp_path / "o.meta.jsonl")[1:]
    assert variant["augment_strategy"] == "bedrock"


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": \n')
    run = fineprep(
        "augment", str(data), "-o", str(tmp_path / "o.jsonl"), "--target", "5", "--isolated"
    )
    assert run.code == 2 and f"{data}:2: invalid JSON" in run.err
    assert len(run.err.strip().splitlines()) == 1 and not (tmp_path / "o.jsonl").exists()
    nogoal = fineprep("augment", str(data), "-o", str(tmp_path / "o.jsonl"), "--isolated")
    assert nogoal.code == 2 and "no goal" in nogoal.err
    same = fineprep("augment", str(data), "-o", str(data), "--target", "3", "--isolated")
    assert same.code == 2 and "would overwrite its input" in same.err


def test_same_seed_same_output_across_processes(tmp_path: Path) -> None:
    data = haiku_dataset(tmp_path)
    outputs = []
    for n, hashseed in enumerate(("1", "2")):
        out = tmp_path / f"o{n}.jsonl"
        run = fineprep(
            "augment", str(data), "-o", str(out), "--target", "40", "--seed", "5", "--isolated",
            env={"PYTHONHASHSEED": hashseed},
        )  # fmt: skip
        assert run.code == 0, run.err
        outputs.append((out.read_bytes(), (tmp_path / f"o{n}.meta.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
