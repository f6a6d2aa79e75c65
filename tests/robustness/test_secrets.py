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
import string
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from fineprep.api import check
from tests.conftest import REALDATA, needs_realdata

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
    missed = Counter(kind for k, (kind, _) in enumerate(secrets) if k + 1 not in hit)
    recall = 1 - sum(missed.values()) / len(secrets)
    print(f"H001 recall {recall:.3f} on {len(secrets)} planted secrets; missed: {dict(missed)}")
    assert recall >= 0.95, dict(missed)
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
    assert rate < 0.005
