"""The package's shape: no import cycles (lazy imports count), and each package imports only what its layer may.

The graph is read from the source with ``ast``: every ``import`` and ``from … import`` of an infermeter module,
at module level or inside a function, except those under ``if TYPE_CHECKING:`` (they never run). The rules
are the ones docs/architecture.md states; a change that breaks one fails here with the offending import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import infermeter

PACKAGE = Path(infermeter.__file__).resolve().parent
ENGINE_SDKS = {"openvino": "engines/openvino", "onnxruntime": "engines/onnxruntime", "torch": "engines/pytorch",
               "ai_edge_litert": "engines/litert", "tflite_runtime": "engines/litert", "ray": "runs/cluster",
               "mlperf_loadgen": "scenarios/loadgen", "matplotlib": "reporters/", "pandas": "reporters/notebook",
               "PIL": "inputs/", "psutil": "machine/"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULE_FILES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(tree: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, int]]:
    def visit(nodes: list[ast.stmt]) -> Iterator[tuple[str, int]]:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
                yield from visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                yield from ((alias.name, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                # ``from pkg import mod`` depends on pkg/__init__ only for the names that are not submodules
                names = [f"{target}.{alias.name}" for alias in node.names]
                if not all(full in MODULE_FILES for full in names):
                    yield target, node.lineno
                yield from ((full, node.lineno) for full in names)
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list) and children and isinstance(children[0], (ast.stmt, ast.excepthandler)):
                    yield from visit([c for child in children
                                      for c in (child.body if isinstance(child, ast.excepthandler) else [child])])

    assert isinstance(tree, ast.Module)
    yield from visit(tree.body)


def import_graph() -> tuple[dict[str, set[str]], dict[str, list[tuple[str, int]]]]:
    """infermeter module -> infermeter modules it imports; and module -> every imported name with its line."""
    files = MODULE_FILES
    graph: dict[str, set[str]] = {name: set() for name in files}
    raw: dict[str, list[tuple[str, int]]] = {}
    for name, path in files.items():
        found = list(_imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py"))
        raw[name] = found
        # the root package is imported before any of its modules, so naming it (``from .. import __version__``)
        # adds no dependency
        graph[name] = {target for target, _ in found if target in files and target not in (name, "infermeter")}
    return graph, raw


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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


GRAPH, RAW = import_graph()


def imports_of(package: str) -> set[tuple[str, str]]:
    prefix = f"infermeter.{package}"
    return {(source, target) for source, targets in GRAPH.items()
            if source == prefix or source.startswith(prefix + ".") for target in targets}


def test_no_import_cycles_lazy_imports_included() -> None:
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _forbidden(package: str, others: tuple[str, ...]) -> list[str]:
    return sorted(f"{source} -> {target}" for source, target in imports_of(package)
                  if any(target == f"infermeter.{o}" or target.startswith(f"infermeter.{o}.") for o in others))


def test_the_data_model_imports_no_reporter_analysis_or_runner() -> None:
    assert _forbidden("results", ("reporters", "analysis", "scenarios", "measure", "runs", "cli", "engines",
                                  "machine", "inputs")) == []


def test_statistics_are_pure() -> None:
    allowed = {"infermeter.stats", "infermeter.errors"}
    assert sorted(f"{s} -> {t}" for s, t in imports_of("stats") if not any(
        t == a or t.startswith(a + ".") for a in allowed)) == []


def test_configuration_is_below_everything_that_runs() -> None:
    assert _forbidden("config", ("results", "analysis", "scenarios", "measure", "runs", "cli", "reporters",
                                 "machine", "model", "inputs")) == []
    engines = {target for _, target in imports_of("config") if target.startswith("infermeter.engines")}
    assert engines <= {"infermeter.engines.registry"}  # the names of the engines, a leaf


def test_nothing_but_the_command_line_imports_the_command_line() -> None:
    users = {source for source, targets in GRAPH.items() for target in targets
             if target.startswith("infermeter.cli") and not source.startswith("infermeter.cli")}
    assert users <= {"infermeter.__main__"}


def test_reporters_are_read_by_the_command_line_only() -> None:
    users = sorted(f"{source} -> {target}" for source, targets in GRAPH.items() for target in targets
                   if target.startswith("infermeter.reporters") and not source.startswith(("infermeter.reporters",
                                                                                           "infermeter.cli")))
    assert users == []


def test_analysis_judges_data_only() -> None:
    assert _forbidden("analysis", ("scenarios", "measure", "runs", "cli", "reporters", "engines", "inputs")) == []


def test_engines_and_scenarios_do_not_reach_up() -> None:
    assert _forbidden("engines", ("scenarios", "measure", "runs", "cli", "reporters", "analysis")) == []
    assert _forbidden("scenarios", ("measure", "runs", "cli", "reporters")) == []


def test_each_sdk_is_imported_only_in_its_own_module() -> None:
    wrong = []
    for source, names in RAW.items():
        relative = source.removeprefix("infermeter.").replace(".", "/")
        for target, line in names:
            top = target.split(".")[0]
            home = ENGINE_SDKS.get(top)
            if home is not None and not relative.startswith(home):
                wrong.append(f"{relative}.py:{line} imports {top}")
    assert wrong == []
