"""Exact counts from Bedrock's CountTokens API, for the records no bound could decide.

``--tokenizer bedrock`` sends each such record (as a Converse request: system text and the
turns, answer included, so the count covers the whole record with its template) to
``bedrock-runtime`` ``count_tokens``, a few calls at a time, and keeps every answer in a cache
keyed by the content hash of model and request, so a re-run asks nothing twice. A model that
CountTokens does not support, or any API failure, leaves the local estimate in place and says
why: remote counting never fails a run.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fineprep.formats.base import View

#: Calls in flight at once (CountTokens is free but throttled per account).
PARALLEL = 4


def request_key(model: str, request: dict[str, Any]) -> str:
    """The cache key of one count: sha256 of the model ID and the canonical request."""
    body = json.dumps([model, request], sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(body).hexdigest()


def cache_path() -> Path | None:
    """``~/.cache/fineprep/counttokens.jsonl`` (``FINEPREP_COUNT_CACHE`` names another file;
    ``off`` disables it)."""
    named = os.environ.get("FINEPREP_COUNT_CACHE")
    if named == "off":
        return None
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path("~/.cache").expanduser()) / "fineprep" / "counttokens.jsonl"


def _read_cache(path: Path | None) -> dict[str, int]:
    if path is None or not path.is_file():
        return {}
    out: dict[str, int] = {}
    try:
        for line in path.read_text("utf-8").splitlines():
            key, _, value = line.partition("\t")
            if value.isdigit():
                out[key] = int(value)
    except (OSError, UnicodeDecodeError):
        return {}
    return out


def _write_cache(path: Path | None, cache: dict[str, int]) -> None:
    if path is None:
        return
    try:
        from fineprep.io.atomic import AtomicWriter

        with AtomicWriter(path) as fh:
            fh.write("".join(f"{k}\t{v}\n" for k, v in cache.items()).encode())
    except Exception:  # a read-only home only costs a re-ask next time
        return


def count_remote(
    model: str, requests: dict[int, dict[str, Any]], region: str | None, client: Any = None
) -> tuple[dict[int, int], str | None]:
    """``ticket -> input tokens`` for the requests Bedrock counted, and a note when some or all
    were not (unsupported model, no credentials, throttling...)."""
    path = cache_path()
    cache = _read_cache(path)
    keys = {ticket: request_key(model, req) for ticket, req in requests.items()}
    todo = {key: requests[t] for t, key in keys.items() if key not in cache}
    note = None
    if todo:
        if client is None:
            try:
                from fineprep.io.aws import AwsOptions, make_client

                client = make_client("bedrock-runtime", AwsOptions(), region)
            except Exception as exc:  # no boto3, no credentials, bad region
                return _known(keys, cache), f"CountTokens not called: {_why(exc)}"
        answers, note = _ask(client, model, todo)
        if answers:
            cache.update(answers)
            _write_cache(path, cache)
    return _known(keys, cache), note


def _known(keys: dict[int, str], cache: dict[str, int]) -> dict[int, int]:
    return {ticket: cache[key] for ticket, key in keys.items() if key in cache}


def _ask(
    client: Any, model: str, todo: dict[str, dict[str, Any]]
) -> tuple[dict[str, int], str | None]:
    def one(item: tuple[str, dict[str, Any]]) -> tuple[str, int | None, str | None]:
        key, req = item
        try:
            reply = client.count_tokens(modelId=model, input={"converse": req})
            return key, int(reply["inputTokens"]), None
        except Exception as exc:
            return key, None, _why(exc)

    answers: dict[str, int] = {}
    errors: list[str] = []
    items = list(todo.items())
    # One call first: an unsupported model or missing permission stops here, not N times.
    first = one(items[0])
    results = [first]
    if first[1] is not None and len(items) > 1:
        with ThreadPoolExecutor(PARALLEL) as pool:
            results += list(pool.map(one, items[1:]))
    for key, value, error in results:
        if value is not None:
            answers[key] = value
        elif error:
            errors.append(error)
    note = None
    if errors or len(answers) < len(todo):
        reason = errors[0] if errors else "no answer"
        note = f"{len(todo) - len(answers)} of {len(todo)} records counted locally: {reason}"
    return answers, note


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        return f"{err.get('Code', type(exc).__name__)}: {err.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def converse_request(view: View) -> dict[str, Any] | None:
    """The record as a Converse request for CountTokens: system text, then the turns in
    order (records with media are counted locally: CountTokens needs the image bytes)."""
    if view.media or not view.segments:
        return None
    system = [s.text for s in view.segments if s.role == "system"]
    turns: list[dict[str, Any]] = []
    for seg in view.segments:
        if seg.role == "system":
            continue
        role = "assistant" if seg.output or seg.role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].append({"text": seg.text})
        else:
            turns.append({"role": role, "content": [{"text": seg.text}]})
    request: dict[str, Any] = {"messages": turns}
    if system:
        request["system"] = [{"text": t} for t in system]
    return request
