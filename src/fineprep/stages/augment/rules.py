"""The ``rules`` strategy: deterministic rewrites of prompt text from a rule table.

A rule is a phrase with its alternatives (``"how do i" -> "how can I"``), matched as whole
words, case-insensitively, with the first letter's case kept; or a regular expression
(``/^please (\\w+)/``) whose alternatives may use its groups (``\\1``, ``\\g<name>``). The
built-in table holds the rephrasings the Bedrock guides suggest and the contractions that are
always safe; contractions that would end a clause (``yes, I am`` -> ``yes, I'm``) are only made
before another word. User rules (``[augment.rules]``) come first.

Every place a rule matches is a *site*; a variant keeps or rewrites each site. Variants that
rewrite every site come first, then the ones most unlike those already proposed (fewest sites
in common), ties broken by a hash keyed with the seed: fewer, more different variants rather
than many that differ by one word.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from fineprep.core.errors import ConfigError
from fineprep.core.user_regex import PatternTimeout, UserPattern, compile_user_pattern
from fineprep.stages.augment.records import Original, with_texts
from fineprep.stages.augment.strategy import Candidate

#: Phrase, alternatives, and whether a following word is required (contractions).
BUILTIN: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("how do i", ("how can I", "how would I"), False),
    ("how can i", ("how do I",), False),
    ("what is", ("what's",), True),
    ("can you", ("could you", "would you"), False),
    ("could you", ("can you", "would you"), False),
    ("would you", ("could you",), False),
    ("i want to", ("I'd like to", "I would like to"), False),
    ("i'd like to", ("I want to", "I would like to"), False),
    ("i would like to", ("I'd like to", "I want to"), False),
    ("i'm", ("I am",), False),
    ("i am", ("I'm",), True),
    ("don't", ("do not",), False),
    ("do not", ("don't",), False),
    ("doesn't", ("does not",), False),
    ("does not", ("doesn't",), False),
    ("can't", ("cannot",), False),
    ("cannot", ("can't",), False),
    ("isn't", ("is not",), False),
    ("is not", ("isn't",), False),
    ("won't", ("will not",), False),
    ("will not", ("won't",), False),
)
#: "What's" is "what is" only before a noun phrase ("what's happened" is "what has").
BUILTIN_REGEX = (
    (r"/\b(what)['’]s(?=\s+(?:the|a|an|my|your|our|their|this|that|it)\b)/i", (r"\1 is",)),
)

#: Candidate variants considered per original (the product of choices can be huge).
POOL = 256
_GROUP_REF = re.compile(r"\\(\d+)|\\g<([^>]*)>")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str] | UserPattern
    alternatives: tuple[str, ...]
    regex: bool


@dataclass(frozen=True)
class Site:
    """One match in one segment: where, and the texts it may become."""

    segment: int
    start: int
    end: int
    found: str
    options: tuple[str, ...]


def phrase_rule(phrase: str, alternatives: Sequence[str], before_word: bool = False) -> Rule:
    words = [
        "".join("['’]" if c in "'’" else re.escape(c) for c in word) for word in phrase.split()
    ]
    body = r"\s+".join(words)
    tail = r"(?=\s+\w)" if before_word else r"(?![\w'’])"
    pattern = re.compile(rf"(?<![\w'’]){body}{tail}", re.IGNORECASE)
    return Rule(phrase, pattern, tuple(alternatives), regex=False)


def regex_rule(spec: str, alternatives: Sequence[str], *, builtin: bool = False) -> Rule:
    """``/pattern/`` or ``/pattern/i`` (case-insensitive); alternatives may name groups."""
    body, _, flags = spec[1:].rpartition("/")
    if flags not in ("", "i"):
        raise ConfigError(f"[augment.rules] {spec!r}: the only flag after the / is i")
    # A user's pattern runs on every record: on RE2 (linear time) or time-limited, never on
    # the backtracking engine (see fineprep.core.user_regex); the built-ins are ours.
    pattern: re.Pattern[str] | UserPattern = (
        re.compile(body, re.IGNORECASE if flags else 0)
        if builtin
        else compile_user_pattern(body, f"[augment.rules] {spec!r}", bool(flags))
    )
    for alt in alternatives:
        for number, name in _GROUP_REF.findall(alt):
            bad = (number and int(number) > pattern.groups) or (
                name
                and name not in pattern.groupindex
                and not (name.isdigit() and int(name) <= pattern.groups)
            )
            if bad:
                raise ConfigError(
                    f"[augment.rules] {spec!r}: {alt!r} names a group the pattern does not have"
                )
    return Rule(spec, pattern, tuple(alternatives), regex=True)


def rule_table(user: dict[str, list[str]], builtin: bool) -> list[Rule]:
    """User rules first (a key written ``/.../`` is a regular expression), then the built-ins."""
    out = [
        regex_rule(key, alts) if _is_regex(key) else phrase_rule(key, alts)
        for key, alts in user.items()
    ]
    if builtin:
        out += [phrase_rule(p, alts, before) for p, alts, before in BUILTIN]
        out += [regex_rule(p, alts, builtin=True) for p, alts in BUILTIN_REGEX]
    return out


def _is_regex(key: str) -> bool:
    return len(key) > 2 and key.startswith("/") and key.rstrip("i").endswith("/")


def _cased(found: str, alternative: str) -> str:
    """The alternative in the case of the text it replaces (first letter; all capitals)."""
    if not alternative:
        return alternative
    if len(found) > 1 and found.isupper():
        return alternative.upper()
    if found[0].isupper():
        return alternative[0].upper() + alternative[1:]
    if re.match(r"I\b", alternative):  # "I'd", "I am": the pronoun keeps its capital
        return alternative
    return alternative[0].lower() + alternative[1:]


def _matches(rule: Rule, text: str) -> list[Any]:
    """The rule's matches in one text; none when a user pattern runs out of time on it."""
    try:
        return list(rule.pattern.finditer(text))
    except PatternTimeout:
        return []


def sites(texts: Sequence[str], rules: Sequence[Rule]) -> list[Site]:
    """Non-overlapping matches of every rule: the earliest wins, then the longest, then the
    rule listed first."""
    out: list[Site] = []
    for k, text in enumerate(texts):
        found: list[tuple[int, int, int, Site]] = []
        for order, rule in enumerate(rules):
            for m in _matches(rule, text):
                if m.end() == m.start():
                    continue
                if rule.regex:
                    options = tuple(m.expand(alt) for alt in rule.alternatives)
                else:
                    options = tuple(_cased(m.group(), alt) for alt in rule.alternatives)
                options = tuple(o for o in dict.fromkeys(options) if o != m.group())
                if options:
                    site = Site(k, m.start(), m.end(), m.group(), options)
                    found.append((m.start(), -(m.end() - m.start()), order, site))
        end = -1
        for start, _, _, site in sorted(found, key=lambda f: f[:3]):
            if start >= end:
                out.append(site)
                end = site.end
    return out


def render(texts: Sequence[str], where: Sequence[Site], choice: Sequence[int]) -> list[str]:
    """The texts with each site kept (``-1``) or replaced by its chosen option."""
    out = list(texts)
    for site, pick in sorted(zip(where, choice, strict=True), key=lambda sc: -sc[0].start):
        if pick >= 0:
            text = out[site.segment]
            out[site.segment] = text[: site.start] + site.options[pick] + text[site.end :]
    return out


def _pool(where: Sequence[Site], rng: random.Random) -> list[tuple[int, ...]]:
    ranges = [range(-1, len(s.options)) for s in where]
    size = 1
    for r in ranges:
        size *= len(r)
    if size <= POOL:
        return [c for c in itertools.product(*ranges) if any(x >= 0 for x in c)]
    seen: dict[tuple[int, ...], None] = {}
    full = [tuple(rng.randrange(len(s.options)) for s in where) for _ in range(POOL // 2)]
    for c in full + [tuple(rng.choice(r) for r in ranges) for _ in range(POOL * 4)]:
        if any(x >= 0 for x in c):
            seen.setdefault(c, None)
        if len(seen) >= POOL:
            break
    return list(seen)


def ordered(where: Sequence[Site], seed: int, key: str) -> Iterator[tuple[int, ...]]:
    """Choices in the order described in the module docstring."""
    salt = blake2b(f"{seed}\x00{key}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    rng = random.Random(salt)
    pool = _pool(where, rng)
    rank = {c: blake2b(salt + repr(c).encode(), digest_size=8).digest() for c in pool}
    chosen: list[tuple[int, ...]] = [tuple(-1 for _ in where)]
    while pool:

        def score(c: tuple[int, ...]) -> tuple[int, int, bytes]:
            changed = sum(1 for x in c if x >= 0)
            distance = min(sum(1 for a, b in zip(c, o, strict=True) if a != b) for o in chosen)
            return (-distance, -changed, rank[c])

        best = min(pool, key=score)
        pool.remove(best)
        chosen.append(best)
        yield best


class RulesStrategy:
    """Variants of an original from the rule table (see the module docstring)."""

    name = "rules"

    def __init__(self, rules: list[Rule], seed: int) -> None:
        self.rules = rules
        self.seed = seed

    def candidates(self, original: Original) -> Iterator[Candidate]:
        segments = original.segments
        texts = [s.text for s in segments]
        where = sites(texts, self.rules)
        if not where:
            return
        for choice in ordered(where, self.seed, original.id):
            new = render(texts, where, choice)
            changes = {
                s.path: t for s, t, old in zip(segments, new, texts, strict=True) if t != old
            }
            if not changes:
                continue
            detail = "; ".join(
                f"{site.found!r} -> {site.options[pick]!r}"
                for site, pick in zip(where, choice, strict=True)
                if pick >= 0
            )
            yield Candidate(with_texts(original.obj, changes), self.name, detail, changes)
