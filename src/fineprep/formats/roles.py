"""Turn-order rules shared by the chat formats (S003)."""

from __future__ import annotations

from fineprep.formats.base import Report


def check_turn_order(
    roles: list[str | None], report: Report, *, allow_user_last: bool = False, minimum: int = 2
) -> None:
    """First turn user, strictly alternating, last assistant, at least ``minimum`` messages.

    Roles that were already reported as invalid are ``None`` and are skipped, so one bad role
    does not produce a cascade of order findings.
    """
    if len(roles) < minimum:
        report(
            "S003",
            ("messages",),
            f"a record needs at least {minimum} message{'s' if minimum > 1 else ''} "
            f"(user, then assistant), found {len(roles)}",
            {"messages": len(roles), "minimum": minimum},
        )
        return
    if roles[0] is not None and roles[0] != "user":
        report(
            "S003",
            ("messages", 0, "role"),
            f"the first turn must be 'user', not {roles[0]!r}",
            {"index": 0, "role": roles[0]},
        )
    for i in range(1, len(roles)):
        prev, cur = roles[i - 1], roles[i]
        if prev is not None and cur is not None and prev == cur:
            report(
                "S003",
                ("messages", i, "role"),
                f"turns must alternate user/assistant: message {i} repeats {cur!r}",
                {"index": i, "role": cur},
            )
    last = roles[-1]
    if last is not None and last != "assistant" and not (allow_user_last and len(roles) % 2 == 1):
        report(
            "S003",
            ("messages", len(roles) - 1, "role"),
            f"the last turn must be 'assistant', not {last!r}"
            + (
                ""
                if allow_user_last
                else " (for a distillation prompt file use --format distillation)"
            ),
            {"index": len(roles) - 1, "role": last},
        )
