"""Imports point one way: the core never reaches up into the classroom, training, the web app or the
cluster, and no two parts of the package import each other.

Every `cnnattn.*` import is read from the source (module level, inside functions, under TYPE_CHECKING,
relative or absolute), so an import hidden in a function body to dodge a cycle still counts.
"""

import ast
import importlib.util
from pathlib import Path

import pytest

PACKAGE = Path(importlib.util.find_spec("cnnattn").origin).parent

# The layering, one row per top-level unit of the package (a subpackage or a module, "cnnattn" being
# the package's own lazy facade): the units above the core that it may import. Every unit may import
# the core and itself; anything not listed is forbidden. A new unit must be added here.
CORE = {
    "cnnattn", "analysis", "backbones", "errors", "explain", "heads", "i18n", "image", "import_speedups",
    "labels", "maps", "names", "payload", "pipeline", "render", "shipped", "shutdown",
}  # fmt: skip
MAY_IMPORT: dict[str, set[str]] = {
    **{unit: set() for unit in CORE},
    "lesson": set(),  # the classroom: core measurements, drawn and worded
    "training": set(),  # fits and evaluates heads offline
    "webapp": {"lesson"},  # the Gradio front end shows the lesson
    "distributed": {"webapp"},  # the Ray front end serves the same app
    "cli": {"lesson", "training", "webapp", "distributed"},  # the front door launches everything
    "__main__": {"cli"},
}
# Measurements, drawing and grid maths take arrays and attributes, never a head (docs/LIBRARY.md).
NO_HEADS = {"analysis", "render", "maps"}
# Inside the package only these may import the web app (app.py at the repository root is outside it).
WEBAPP_IMPORTERS = {"cnnattn.cli", "cnnattn.distributed.serve"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def unit(module: str) -> str:
    """The top-level unit of a module: "cnnattn.lesson.steps" -> "lesson", "cnnattn" -> "cnnattn"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(module: str) -> set[str]:
    """Every cnnattn module `module` imports, anywhere in its source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from cnnattn.webapp import app` imports the module cnnattn.webapp.app.
            found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names}
    if module == "cnnattn":  # the facade imports its public names lazily, by module name
        found |= _lazy_targets(tree)
    return {name for name in found if name == "cnnattn" or name.startswith("cnnattn.")}


def _lazy_targets(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_PUBLIC" for t in node.targets):
            return set(ast.literal_eval(node.value).values())
    raise AssertionError("cnnattn/__init__.py no longer has _PUBLIC: teach this test where its lazy imports are")


IMPORTS = {module: imported_modules(module) for module in MODULES}


def test_every_unit_has_a_row_in_the_table():
    assert {unit(module) for module in MODULES} <= set(MAY_IMPORT), "add the new unit to MAY_IMPORT"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layering(module):
    allowed = CORE | MAY_IMPORT[unit(module)] | {unit(module)}
    wrong = sorted(target for target in IMPORTS[module] if unit(target) not in allowed)
    assert not wrong, f"{module} may not import {wrong}"


def test_only_the_front_ends_import_the_web_app():
    importers = {
        module
        for module, targets in IMPORTS.items()
        if unit(module) != "webapp" and any(unit(target) == "webapp" for target in targets)
    }
    assert importers <= WEBAPP_IMPORTERS


def test_measurements_and_drawing_never_import_heads():
    wrong = {module: sorted(t) for module, t in IMPORTS.items() if unit(module) in NO_HEADS and "heads" in map(unit, t)}
    assert not wrong


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the graph's strongly connected components (a cycle is one of size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_strongly_connected_finds_a_cycle():
    assert {"a", "b"} in strongly_connected({"a": {"b"}, "b": {"a", "c"}, "c": set()})


def test_no_import_cycle_between_units():
    graph: dict[str, set[str]] = {}
    for module, targets in IMPORTS.items():
        graph.setdefault(unit(module), set()).update(unit(t) for t in targets if unit(t) != unit(module))
    cycles = [sorted(component) for component in strongly_connected(graph) if len(component) > 1]
    assert not cycles, f"import cycles between units: {cycles}"
