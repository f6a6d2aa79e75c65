"""The template sandbox, bounded in size and in work: a hostile template rejects its row.

Templates come from config files in shared repositories, so whoever can edit ``fineprep.toml``
writes code that runs on every row. Jinja2's sandbox stops attribute tricks; this one also
bounds what a template may build and how long it may run:

- sizes: ``*`` on strings and lists, ``**`` and ``%`` formatting, padding filters (``center``,
  ``indent``, ``truncate``, ``wordwrap``), ``lipsum``, ``slice`` and ``batch`` are refused
  when their result would exceed :data:`MAX_VALUE` (a format width of two billion used to
  crash the interpreter);
- integers: ``**`` whose result would have more than :data:`MAX_INT_BITS` bits;
- work: a per-row budget of steps (Python line events while the template runs) and seconds,
  :class:`Budget`, checked by a trace function installed only while a template with loops,
  macros or their calls renders, so nested loops and recursive macros end in a reject, not a
  hang (without those a template cannot loop: ``range`` is capped at 100,000 items and every
  value it can build is size-capped, so its work is bounded by its data; tracing every
  template would make convert 2.5x slower);
- recursion: a recursive macro deeper than Python allows is a reject, not a crash.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from types import FrameType
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fineprep.stages.convert.values import RowError, null_safe

#: Largest string or list a template may build (characters or items).
MAX_VALUE = 10_000_000
#: Largest integer a template may compute, in bits (10**1000 is about 3,300 bits).
MAX_INT_BITS = 100_000
_FORMAT_WIDTH = re.compile(
    r"%[-+ #0]*(\d+)?(?:\.(\d+))?|\{[^{}]*?:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}"
)


@dataclass(frozen=True)
class Budget:
    """Work one row's template may do: line events of Python code and seconds."""

    steps: int = 200_000
    seconds: float = 1.0


class _OverBudget(RowError):
    pass


def run_bounded(fn: Callable[[], Any], budget: Budget, name: str) -> Any:
    """``fn()`` under ``budget``; RowError when it is spent, or on too deep a recursion."""
    deadline = time.monotonic() + budget.seconds
    steps = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        steps += 1
        if steps > budget.steps:
            raise _OverBudget(f"template {name!r} did over {budget.steps:,} steps of work")
        if not steps & 0x3FF and time.monotonic() > deadline:
            raise _OverBudget(f"template {name!r} ran over {budget.seconds:g} s")
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return fn()
    except RecursionError:
        raise RowError(f"template {name!r} recursed too deep") from None
    finally:
        sys.settrace(previous)


def _check_format(text: str) -> None:
    for match in _FORMAT_WIDTH.finditer(text):
        for number in match.groups():
            if number is not None and int(number) > MAX_VALUE:
                raise RowError(f"template formats with width {int(number):,}: too large")


#: A replacement field whose format spec holds another field: ``{0:{1}}``.
_NESTED_FIELD = re.compile(r"\{[^{}]*:[^{}]*\{")


def _check_widths(values: tuple[Any, ...]) -> None:
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_VALUE:
            raise RowError(f"template formats with width {v:,}: too large")


def _too_big_power(base: int, exponent: int) -> bool:
    if exponent > 1000:
        return True
    return abs(base) > 1 and base.bit_length() * max(exponent, 0) > MAX_INT_BITS


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` through :meth:`BoundedSandbox.bounded_concat`: Jinja2 joins in a
    runtime function no sandbox hook sees, so a loop doubling a string (``x ~ x``) would
    allocate gigabytes in one step, before any time budget could stop it."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with the size limits above; nulls stay null-safe."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def bounded_concat(self, value: str) -> str:
        if len(value) > MAX_VALUE:
            raise RowError("template builds a value over 10 MB")
        return value

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        joined = isinstance(left, (str, list, tuple)) and isinstance(right, type(left))
        if operator == "+" and joined and len(left) + len(right) > MAX_VALUE:
            raise RowError("template builds a value over 10 MB")
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and _too_big_power(left, right):
            raise RowError(f"{left if abs(left) < 10**6 else 'a number'} ** {right} is too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
                if sized and _repeated_size(seq) * times > MAX_VALUE:
                    raise RowError("template builds a value over 10 MB")
        if operator == "%" and isinstance(left, str):
            _check_format(left)
            if "*" in left:  # '%*s' % (width, text): the width comes from the arguments
                _check_widths(right if isinstance(right, tuple) else (right,))
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``"{:2000000000}".format(x)``: the format string's widths are checked first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = str(value.__self__)
        _check_format(text)
        if not _NESTED_FIELD.search(text):
            return wrapped

        def bounded(*args: Any, **kwargs: Any) -> str:
            # '{0:{1}}'.format(x, 2000000000): a width taken from the arguments
            _check_widths((*args, *kwargs.values()))
            return wrapped(*args, **kwargs)

        return bounded

    def getattr(self, obj: Any, attribute: str) -> Any:
        return null_safe(attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return null_safe(str(argument), super().getitem(obj, argument))


def _repeated_size(seq: Any) -> int:
    """What one copy of ``seq`` costs: a string's characters, a list's items as they print
    (``[title] * 10**7`` is ten million items, each as long as the title)."""
    if isinstance(seq, str):
        return len(seq)
    sample = seq[:100]
    each = sum(_size(item) + 4 for item in sample) / max(len(sample), 1)
    return int(len(seq) * max(each, 1))


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else len(str(value))


def _guard(fn: Callable[..., Any], limit: Callable[..., int]) -> Callable[..., Any]:
    """Refuse a filter call whose result would be over MAX_VALUE (``limit`` estimates it from
    the arguments the filter itself takes, environment or context first when it takes one)."""

    @wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if limit(*args, **kwargs) > MAX_VALUE:
            raise RowError(f"template filter {fn.__name__!r} would build a value over 10 MB")
        return fn(*args, **kwargs)

    return guarded  # functools.wraps keeps jinja_pass_arg: the filter still gets its env


def _width(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _format_size(value: Any, *args: Any, **kwargs: Any) -> int:
    """The ``format`` filter is ``%`` formatting: its widths, written or passed (``%*s``)."""
    text = str(value)
    _check_format(text)
    if "*" in text:
        _check_widths(args)
    return _size(text)


def install_limits(env: BoundedSandbox) -> None:
    """Size guards on the filters and globals that can build large values."""
    f, g = env.filters, env.globals

    def env_first(estimate: Callable[..., int]) -> Callable[..., int]:
        return lambda _env, *args, **kwargs: estimate(*args, **kwargs)

    def indented(s: Any, width: Any = 4, *a: Any, **k: Any) -> int:
        pad = _width(width, 4) if isinstance(width, int) else len(str(width))
        return _size(s) * 2 + (str(s).count("\n") + 1) * pad

    def lorem(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> int:
        return _width(n, 5) * _width(max, 100) * 10

    f["center"] = _guard(f["center"], lambda s, width=80: _size(s) + _width(width, 80))
    f["indent"] = _guard(f["indent"], indented)
    f["truncate"] = _guard(f["truncate"], env_first(lambda s, length=255, *a, **k: _size(s)))
    f["wordwrap"] = _guard(f["wordwrap"], env_first(lambda s, width=79, *a, **k: 2 * _size(s)))
    f["slice"] = _guard(f["slice"], env_first(lambda v, slices, *a, **k: 100 * _width(slices, 0)))
    f["batch"] = _guard(f["batch"], lambda v, n, *a, **k: 0 if _width(n, 1) > 0 else MAX_VALUE + 1)
    f["format"] = _guard(f["format"], _format_size)
    generate: Callable[..., Any] = g["lipsum"]  # type: ignore[assignment]
    g["lipsum"] = _guard(generate, lorem)
