"""Architecture rules: rooms form layers, no import circles, only cli/ imports click, and the
check path stays free of heavy imports.

The contract is stated once, here (``LAYERS`` and ``SIDEWAYS``); every room's ``__init__.py``
docstring says the same in its ``May import:`` line, and a test keeps the two in agreement.
Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import
is still a dependency, and a type-only circle is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "fineprep"
HEAVY = ("pandas", "boto3", "botocore", "great_expectations", "jinja2", "pyarrow", "tiktoken")

#: Rooms, lowest first. A module may import its own room and any room of a lower layer.
LAYERS: list[list[str]] = [
    ["core"],
    ["formats", "io"],
    ["tokens", "engines"],
    ["stages.convert", "stages.check", "stages.split", "stages.augment", "stages.grade"],
    ["stages.upload", "stages.launch", "report"],
    ["pipeline"],
    ["api", "cli"],
    ["", "__main__"],  # "" is fineprep/__init__.py: the public face re-exports api
]
#: The only imports between rooms of one layer, each with its reason.
SIDEWAYS: dict[tuple[str, str], str] = {
    ("stages.split", "stages.check"): "a split is judged by check's dataset rules (N, D004, B)",
    ("stages.convert", "stages.check.rules.outside"): "convert emits G001, declared there",
    ("stages.upload", "stages.launch"): "upload writes the job request beside the manifest",
    ("stages.grade", "stages.check"): "grade reports R findings as a CheckResult, for reporters",
    ("stages.augment", "stages.check"): "variants are judged by check's identity, near-duplicate "
    "and hygiene rules, and augment checks what it wrote",
    ("stages.augment", "stages.convert"): "the template strategy re-renders convert's prompt "
    "templates over convert's source rows (read-only)",
}
ROOMS = [room for layer in LAYERS for room in layer]
LAYER_OF = {room: i for i, layer in enumerate(LAYERS) for room in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}


def room_of(module: str) -> str | None:
    """The longest room that is ``module`` or one of its parents (None: in no room)."""
    if module == "":
        return ""
    best = None
    for room in ROOMS:
        if not room or not (module == room or module.startswith(room + ".")):
            continue
        if best is None or len(room) > len(best):
            best = room
    return best


def _resolve(name: str) -> str | None:
    """``fineprep.a.b`` -> ``a.b`` when it is a module of the package, else None."""
    if name != "fineprep" and not name.startswith("fineprep."):
        return None
    inner = name[len("fineprep.") :] if name != "fineprep" else ""
    return inner if inner in MODULES else None


def fineprep_imports(module: str) -> set[str]:
    """Every module of fineprep that ``module`` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _resolve(alias.name)) is not None:
                    out.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)]
                absolute = ".".join(["fineprep", *base, *([node.module] if node.module else [])])
            else:
                absolute = node.module or ""
            if _resolve(absolute) is None:
                continue
            for alias in node.names:  # `from fineprep.x import submodule` imports the submodule
                sub = _resolve(f"{absolute}.{alias.name}")
                out.add(sub if sub is not None else _resolve(absolute) or "")
    out.discard(module)
    return out


GRAPH = {module: fineprep_imports(module) for module in MODULES}


def _allowed(source: str, target: str) -> bool:
    a, b = room_of(source), room_of(target)
    assert a is not None and b is not None, (source, target)
    if a == b or LAYER_OF[b] < LAYER_OF[a]:
        return True
    if LAYER_OF[b] > LAYER_OF[a]:
        return False
    return any(
        a == src and (target == dst or target.startswith(dst + ".")) for (src, dst) in SIDEWAYS
    )


def test_every_module_is_in_a_room_and_nothing_is_loose_at_the_top() -> None:
    loose = sorted(m for m in MODULES if "." not in m and m not in ROOMS and m not in {"stages"})
    assert not loose, f"modules loose at the top of the package: {loose}"
    for module in MODULES:
        if module == "stages":  # a namespace of rooms, importing nothing
            assert not GRAPH[module], GRAPH[module]
            continue
        assert room_of(module) in LAYER_OF, f"{module} is in no room of LAYERS"


def test_imports_follow_the_layers() -> None:
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if source != "stages"
        for target in targets
        if not _allowed(source, target)
    )
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_sideways_pairs_are_all_used() -> None:
    for src, dst in SIDEWAYS:
        assert any(
            room_of(s) == src and (t == dst or t.startswith(dst + "."))
            for s, ts in GRAPH.items()
            for t in ts
        ), f"SIDEWAYS names {src} -> {dst}, which nothing uses: remove it"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_circles() -> None:
    circles = _cycles(GRAPH)
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_the_circle_finder_finds_circles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _may_import_line(room: str) -> set[str]:
    path = SRC / Path(*room.split(".")) / "__init__.py"
    doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
    match = re.search(r"May import:(.*?)(?:\n\n|\Z)", doc, re.S)
    assert match, f"{path.relative_to(SRC)}: the docstring must say what the room may import"
    return set(re.findall(r"fineprep(?:\.[a-z_]+)+", match.group(1)))


def test_each_room_says_what_it_may_import() -> None:
    for room in ROOMS:
        if room in {"", "api", "__main__", "pipeline", "cli"}:
            continue
        said = _may_import_line(room)
        lower = {f"fineprep.{r}" for r in ROOMS if r and LAYER_OF[r] < LAYER_OF[room]}
        sideways = {f"fineprep.{dst}" for (src, dst) in SIDEWAYS if src == room}
        expected_core = lower | sideways
        missing = {m for m in expected_core if m not in said}
        extra = {
            m
            for m in said
            if m not in expected_core
            and not any(m.startswith(e + ".") or e.startswith(m + ".") for e in expected_core)
        }
        assert not missing, f"{room}: its docstring does not list {sorted(missing)}"
        assert not extra, f"{room}: its docstring lists {sorted(extra)}, not in the contract"


def test_every_folder_opens_with_a_docstring() -> None:
    for init in SRC.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text("utf-8")))
        assert doc, f"{init.relative_to(SRC)} has no docstring saying what the room is for"


def test_only_cli_imports_click() -> None:
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        names = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
        assert "click" not in names, f"{path.relative_to(SRC)} imports click"


def test_the_layer_test_catches_a_wrong_import() -> None:
    assert not _allowed("core.model", "formats.base")
    assert not _allowed("stages.check.engine", "stages.convert.runner")
    assert _allowed("stages.split.runner", "stages.check.engine")
    assert _allowed("stages.convert.runner", "stages.check.rules.outside")
    assert not _allowed("stages.convert.runner", "stages.check.engine")


def test_check_of_a_small_file_imports_nothing_heavy(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text(
        "".join(
            '{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":'
            f'[{{"text":"question {i}"}}]}},{{"role":"assistant","content":'
            f'[{{"text":"a{i}"}}]}}]}}\n'
            for i in range(20)
        )
    )
    code = (
        "import sys\n"
        "from fineprep.cli.main import main\n"
        "try:\n"
        f"    main(['check', '--model', 'nova-lite', '--isolated', {str(data)!r}])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print('OTHER FORMATS:' + ','.join(m for m in ('fineprep.formats.simple',"
        " 'fineprep.formats.claude_messages') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == ["HEAVY:", "OTHER FORMATS:"], proc.stdout
