"""The ``clientRequestToken`` of a job request: derived from everything Bedrock receives.

Bedrock treats a request whose token matches an earlier one as that request again: "Amazon
Bedrock ignores the request, but does not return an error". A token that covered less than
the whole request would make a different job (another name, other hyperparameters, another
training file) look like a repeat, and it would silently never start. So the token is a hash
of the whole request as sent (every field but the token itself, ``roleArn`` included) and of
the uploaded data, and ``fineprep launch`` derives it again from the request it is given: a
request edited by hand is sent as the new request it is.

The token is 48 hex digits: 16 that stand for the data (a hash of the uploaded objects'
SHA-256 checksums, which the request itself does not carry), then 32 of the hash of those 16
and the request. Launch reads the first 16 back from the token, so it can check and re-derive
the token from the request file alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_DATA_DIGITS = 16
_OURS = re.compile(r"[0-9a-f]{48}")
TOKEN = "clientRequestToken"


def data_part(data_digest: str) -> str:
    """The 16 digits of a token that stand for the uploaded data."""
    return hashlib.sha256(data_digest.encode()).hexdigest()[:_DATA_DIGITS]


def request_token(req: dict[str, Any], data: str) -> str:
    """The token for ``req`` (its own token left out) and the data part ``data``."""
    body = {k: v for k, v in req.items() if k != TOKEN}
    seed = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return data + hashlib.sha256((data + seed).encode()).hexdigest()[:32]


def derived_token(req: dict[str, Any]) -> str:
    """The token ``req``'s content derives: with the data part of its own token when that is
    one fineprep wrote, else (a token written by hand, or none) with a data part derived from
    that token, so that the same file always gets the same token."""
    token = req.get(TOKEN)
    text = token if isinstance(token, str) else ""
    data = text[:_DATA_DIGITS] if _OURS.fullmatch(text) else data_part(text)
    return request_token(req, data)


def token_matches(req: dict[str, Any]) -> bool:
    """Does ``req`` carry the token its content derives (it was not edited since it was
    written)?"""
    return req.get(TOKEN) == derived_token(req)
