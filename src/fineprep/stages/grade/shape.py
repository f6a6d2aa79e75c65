"""Reading the grader's answer the way Bedrock does: one scored item per event item, by id."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from fineprep.formats.base import type_name


@dataclass
class Reading:
    """Scores by event id, and R003 problems as (id or None for the whole batch, message)."""

    scores: dict[str, float] = field(default_factory=dict)
    problems: list[tuple[str | None, str]] = field(default_factory=list)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    """Whether a float holds ``value``: Bedrock reads scores as floats, and an integer beyond
    a float's range (``10**400``) is no more a reward than infinity is."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _shown(value: Any) -> str:
    """``value`` for a message: a huge integer by its size, not its hundreds of digits (which
    Python refuses to print past 4,300)."""
    if isinstance(value, int) and not isinstance(value, bool) and not _finite(value):
        return f"an integer too large for a float ({value.bit_length():,} bits)"
    return repr(value)


def read_answer(result: Any, ids: list[str]) -> Reading:
    out = Reading()
    if not isinstance(result, list):
        shown = type_name(result)
        if isinstance(result, dict) and "body" in result:
            shown += " (an API Gateway-style response: return the list itself)"
        out.problems.append((None, f"the grader returned {shown}, not a list of scores"))
        return out
    wanted = set(ids)
    seen: set[str] = set()
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            out.problems.append(
                (None, f"item {i} of the answer is {type_name(item)}, not an object")
            )
            continue
        rid = item.get("id")
        if not isinstance(rid, str) or rid not in wanted:
            out.problems.append(
                (
                    None,
                    f"item {i} has id {rid!r}, not an id of the batch (ids: {ids[0]}, ...)",
                )
            )
            continue
        if rid in seen:
            out.problems.append((rid, f"id {rid!r} is scored twice"))
            continue
        seen.add(rid)
        problem = _item_problem(item)
        if problem:
            out.problems.append((rid, problem))
        else:
            out.scores[rid] = float(item["aggregate_reward_score"])
    for rid in ids:
        if rid not in seen:
            out.problems.append((rid, f"no score returned for id {rid!r}"))
    return out


def _item_problem(item: dict[str, Any]) -> str | None:
    if "aggregate_reward_score" not in item:
        return "missing aggregate_reward_score"
    score = item["aggregate_reward_score"]
    if not _number(score):
        return f"aggregate_reward_score is {score!r} ({type_name(score)}), not a number"
    if not _finite(score):
        return f"aggregate_reward_score is {_shown(score)}, not a finite number"
    metrics = item.get("metrics_list", [])
    if not isinstance(metrics, list):
        return f"metrics_list is {type_name(metrics)}, not a list"
    for j, metric in enumerate(metrics):
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
            return f"metrics_list[{j}] needs a string 'name'"
        value = metric.get("value")
        if not _number(value) or not _finite(value):
            return (
                f"metrics_list[{j}] ({metric['name']!r}) value {_shown(value)} is not a finite "
                "number"
            )
    return None
