"""Secret scanning (H001): recall on planted credentials, false positives on real text.

The planted set is generated here from the published shapes of each credential (not from
fineprep's patterns), inside sentences like the ones people paste into prompts: config
snippets, log lines, chat questions, URLs. Recall must be at least 95%.
"""

from __future__ import annotations

import base64
import csv
import json
import random
import re
import string
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from fineprep.api import check
from tests.conftest import FIXTURES, REALDATA, needs_realdata

UPPER_DIGITS = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    head = _b64url({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"})
    body = _b64url({"sub": str(rng.randrange(10**6)), "name": "Jane", "iat": 1516239022})
    return f"{head}.{body}.{_r(rng, URLSAFE, 43)}"


PEM_KINDS = ["RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", "", "PGP "]


def _pem(rng: random.Random, kind: str) -> str:
    block = " BLOCK" if kind == "PGP " else ""
    body = f"{_r(rng, B64, 64)}\n{_r(rng, B64, 64)}"
    return (
        f"-----BEGIN {kind}PRIVATE KEY{block}-----\n{body}\n-----END {kind}PRIVATE KEY{block}-----"
    )


#: kind -> maker of one secret (as it would be pasted).
MAKERS: dict[str, Callable[[random.Random], str]] = {
    "aws-access-key-id": lambda r: r.choice(["AKIA", "ASIA"]) + _r(r, UPPER_DIGITS, 16),
    "aws-secret": lambda r: (
        r.choice(
            [
                "aws_secret_access_key=",
                "aws_secret_access_key = ",
                "AWS_SECRET_ACCESS_KEY=",
                'aws_secret_access_key: "',
                "aws_secret_access_key=",
            ]
        )
        + _r(r, B64, 40)
    ),
    "pem": lambda r: _pem(r, r.choice(PEM_KINDS)),
    "github": lambda r: r.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + _r(r, ALNUM, 36),
    "github-pat": lambda r: "github_pat_" + _r(r, ALNUM, 22) + "_" + _r(r, ALNUM, 59),
    "gitlab": lambda r: "glpat-" + _r(r, URLSAFE, 20),
    "slack": lambda r: (
        r.choice(["xoxb-", "xoxp-", "xoxa-"])
        + f"{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-{_r(r, ALNUM, 24)}"
    ),
    "slack-webhook": lambda r: (
        "https://hooks.slack.com/services/T"
        + _r(r, UPPER_DIGITS, 8)
        + "/B"
        + _r(r, UPPER_DIGITS, 8)
        + "/"
        + _r(r, ALNUM, 24)
    ),
    "stripe": lambda r: r.choice(["sk_live_", "rk_live_"]) + _r(r, ALNUM, 24),
    "openai": lambda r: r.choice(["sk-", "sk-proj-"]) + _r(r, ALNUM, 48),
    "anthropic": lambda r: "sk-ant-api03-" + _r(r, URLSAFE, 93) + "AA",
    "google": lambda r: "AIza" + _r(r, URLSAFE, 35),
    "jwt": _jwt,
    "bearer": lambda r: r.choice(["Authorization: Bearer ", "bearer "]) + _r(r, URLSAFE + ".", 40),
    "stripe-test": lambda r: (
        r.choice(["sk_test_", "rk_test_"]) + _r(r, ALNUM, 24 + r.randrange(76))
    ),
    "slack-app": lambda r: (
        f"xapp-{r.randrange(1, 10)}-A{_r(r, UPPER_DIGITS, 10)}-{r.randrange(10**12, 10**13)}-"
        + _r(r, "0123456789abcdef", 64)
    ),
    "huggingface": lambda r: r.choice(["hf_", "hf_", "api_org_"]) + _r(r, string.ascii_letters, 34),
    "azure-storage": lambda r: (
        f"DefaultEndpointsProtocol=https;AccountName={r.choice(['prodlogs', 'st0rage1', 'acme'])};"
        f"AccountKey={_r(r, B64, 86)}==;EndpointSuffix=core.windows.net"
    ),
    "azure-service-bus": lambda r: (
        f"Endpoint=sb://{r.choice(['orders', 'acme-bus'])}.servicebus.windows.net/;"
        f"SharedAccessKeyName={r.choice(['RootManageSharedAccessKey', 'send'])};"
        f"SharedAccessKey={_r(r, B64, 43)}="
    ),
    "azure-sas": lambda r: (
        f"https://{r.choice(['acme', 'prodlogs'])}.blob.core.windows.net/c/f.csv?"
        f"sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2025-01-01T00:00:00Z&spr=https&sig="
        + "".join(r.choice([c, c, c, "%2B", "%2F"]) for c in _r(r, ALNUM, 43))
        + "%3D"
    ),
    "aws-secret-forms": lambda r: r.choice(
        [
            'secret_key = "{k}"',  # Terraform provider block
            "aws configure set aws_secret_access_key {k}",  # AWS CLI
            "aws.secretKey={k}",  # Java properties
            "aws.secret.key = {k}",
            "--aws-secret-access-key {k}",
            "AWS_SECRET_KEY: {k}",
        ]
    ).format(k=_r(r, B64, 40)),
    "url-password-empty-user": lambda r: (
        r.choice(["redis", "https", "amqp", "postgresql"])
        + f"://:{_r(r, ALNUM + '!$', 16)}@{r.choice(['cache.internal', 'example.com'])}:6379/0"
    ),
    "url-password": lambda r: (
        r.choice(["postgres", "mysql", "https", "mongodb+srv", "redis"])
        + f"://{r.choice(['admin', 'svc_user', 'root'])}:{_r(r, ALNUM + '!$', 14)}"
        + f"@{r.choice(['db.internal', 'example.com', '10.0.0.12'])}:5432/app"
    ),
}
SENTENCES = [
    "Why does my deploy fail? Here is the config I use: {s}",
    "The log line said {s} and then the job stopped.",
    "Can you check this snippet?\n```\n{s}\n```\nIt works locally.",
    "Set the variable to {s} before running the script.",
    "Customer pasted their key ({s}) into the ticket, please rotate it.",
    "{s}",
    "export TOKEN='{s}'",
    'config = {{"credentials": "{s}"}}',
    "<token>{s}</token> was in the response body",
    "https://files.example.com/report.pdf?X-Token={s}&Expires=1700000000",
    "key={s};region=us-east-1",
]
CLEAN = [
    "The parcel arrived two weeks late and the box was crushed.",
    "Use the AWS console to create an access key; never paste it into chats.",
    "Our API token rotation policy is every 90 days.",
    "Email the team at the usual address about the outage.",
    "The password must have at least 12 characters.",
    "SKU-2048-AKIA is the product code, not a key.",
]


def planted(n_per_kind: int = 16, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for kind, make in MAKERS.items():
        for _ in range(n_per_kind):
            out.append((kind, rng.choice(SENTENCES).format(s=make(rng))))
    rng.shuffle(out)
    return out


def test_h001_recall_on_planted_secrets(tmp_path: Path) -> None:
    """At least 95% of every kind is found (a kind found at 0% would hide behind the others)."""
    secrets = planted()
    assert len(secrets) >= 200
    lines = []
    for k, (_, text) in enumerate(secrets):
        if k % 2:
            lines.append({"prompt": text, "completion": "I cannot help with credentials."})
        else:
            lines.append({"prompt": "What is in this message?", "completion": text})
    clean_from = len(lines)
    lines += [{"prompt": c, "completion": f"Noted ({i})."} for i, c in enumerate(CLEAN)]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = check(path, select=["H001"])
    hit = {f.location.line for f in result.findings if f.code == "H001"}
    total = Counter(kind for kind, _ in secrets)
    missed = Counter(kind for k, (kind, _) in enumerate(secrets) if k + 1 not in hit)
    recall = {kind: 1 - missed[kind] / n for kind, n in sorted(total.items())}
    overall = 1 - sum(missed.values()) / len(secrets)
    print(f"H001 recall {overall:.3f} on {len(secrets)} planted secrets; per kind: {recall}")
    low = {kind: r for kind, r in recall.items() if r < 0.95}
    assert not low, low
    assert not {line for line in hit if (line or 0) > clean_from}, "H001 on a clean control line"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@needs_realdata
def test_h001_false_positive_rate_on_real_text(tmp_path: Path) -> None:
    """Every text field of real datasets, one record per source record (or CSV row): H001
    should stay (almost) silent. The rate is printed for the report."""
    sources = sorted((REALDATA / "bedrock_jsonl").glob("*.jsonl"))
    sources += sorted((REALDATA / "chat_jsonl_bad").glob("*.jsonl"))
    records = []
    for table in sorted((REALDATA / "labelled_tabular").glob("*.csv")):
        with table.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.reader(fh):
                records.append({"prompt": "\n".join(row), "completion": "ok"})
    for source in sources:
        for raw in source.read_bytes().splitlines():
            try:
                texts = _strings(json.loads(raw))
            except ValueError:
                texts = [raw.decode("utf-8", "replace")]
            if texts:
                records.append({"prompt": "\n".join(texts), "completion": "ok"})
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = check(path, select=["H001"])
    flagged = {f.location.line for f in result.findings if f.code == "H001"}
    rate = len(flagged) / len(records)
    kinds = Counter(str(f.data.get("kind")) for f in result.findings if f.code == "H001")
    print(f"H001 false positives: {len(flagged)} of {len(records)} records ({rate:.4%}); {kinds}")
    assert len(records) > 1000
    assert not flagged, kinds


def _fixture_texts() -> list[str]:
    """Every text of the project's own fixtures: one per JSONL line, JSON file or text line."""
    out: list[str] = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix not in (".jsonl", ".json", ".csv", ".tsv", ".txt", ".md"):
            continue
        raw = path.read_bytes()
        if path.suffix == ".json":
            try:
                out.append("\n".join(_strings(json.loads(raw))))
            except ValueError:
                out.append(raw.decode("utf-8", "replace"))
            continue
        for line in raw.splitlines():
            try:
                texts = _strings(json.loads(line)) if path.suffix == ".jsonl" else []
            except ValueError:
                texts = []
            out.append("\n".join(texts) or line.decode("utf-8", "replace"))
    return [t for t in out if t.strip()]


def test_h001_and_excerpt_masking_stay_silent_on_fixture_text(tmp_path: Path) -> None:
    """The sample data has no credentials: H001 flags none of it, and the HTML excerpts'
    entropy masking (for secrets no rule names) masks no word of it."""
    from fineprep.report.excerpts import _TOKEN, _secret_like

    texts = _fixture_texts()
    path = tmp_path / "train.jsonl"
    records = [{"prompt": t[:100_000], "completion": "ok"} for t in texts]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    flagged = [f for f in check(path, select=["H001"], isolated=True).findings]
    tokens = [m.group() for t in texts for m in _TOKEN.finditer(t)]
    masked = [tok for tok in tokens if _secret_like(tok)]
    print(
        f"H001 false positives on fixtures: {len(flagged)} of {len(records)} texts; "
        f"entropy masking: {len(masked)} of {len(tokens)} long tokens {masked[:5]}"
    )
    assert len(records) > 300
    assert not flagged, [f.message for f in flagged]
    # Only hex digests (content hashes in the fixtures) look random enough to mask.
    assert all(re.fullmatch("[0-9a-f]{32,64}", tok) for tok in masked), masked


if __name__ == "__main__":  # the planted set as JSONL, for running other scanners on it
    for kind, text in planted():
        print(json.dumps({"kind": kind, "text": text}))
