"""The house in layers (issue 28), read from the source with ``ast``, nothing imported: modules of a few
hundred lines, private names that stay home, no import cycle, a docstring on every subpackage, and a
short stack of subpackage floors.

The import graph has one node per module of ``kinviz`` (a package's ``__init__`` is the package's node);
an import names the module it reads from (``from .generate import FAMILIES`` -> ``kinviz.training.generate``,
``from . import generate`` -> the same), wherever it stands: at the top, inside a function or under
``TYPE_CHECKING``. The front door ``kinviz/__init__.py`` is left out: it imports nothing when loaded (PEP 562),
so a module's ``import kinviz`` followed by ``kinviz.load_track`` counts as an import of ``load_track``'s
home (``_HOME``).

Measured on 2026-12-07, after generate.py's split and the last upward imports' moves (``python
tests/test_layers.py`` prints both chains): the longest chain of modules is 16 long, kinviz.__main__ -> cli
-> evaluation.bench -> evaluation.real -> evaluation.quality -> evaluation.evaluate -> inference.predict
-> motion -> motion.decode -> motion.data -> io.formats -> io.csv -> io.readers -> io.text ->
core.trajectory -> core.errors (14 below the CLI); no number is asserted for it. The longest chain of
subpackage floors, the front doors left out, is 6: evaluation -> training -> inference -> motion -> io ->
core. No import goes up the floors (``KNOWN_UPWARD`` is empty).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kinviz"
MAX_LINES = 400  # STYLE.md: one module, one job, a few hundred lines
MAX_FLOORS = 8  # subpackages stacked on one another (the front doors, kinviz/__init__ and the CLI, not counted)
FRONT_DOORS = {"kinviz.cli", "kinviz.__main__"}
# Imports from a lower floor up to a higher one (README's order: core, io, classical, videomodel, motion,
# inference, training, evaluation), each a cycle between subpackages; empty now, and it stays so.
KNOWN_UPWARD: set[tuple[str, str]] = set()  # issue 28 moved the last four (display, metrics twice, collect_csvs)


def app_files() -> list[Path]:
    """Every Python file of the package and the app."""
    files = [ROOT / "app.py"]
    for folder in ("kinviz", "kinviz_app", "app_pages"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def checked_files() -> list[Path]:
    """Every file held to the length limit: the package and the app, the tests, the scripts and the tools."""
    files = app_files()
    for folder in ("tests", "scripts", "tools"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Module name -> file, for the package and the app."""
    return {module_name(p): p for p in app_files()}


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def base_of(name: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import reads from, relative levels resolved against ``name``."""
    if not node.level:
        return node.module or ""
    package = name.split(".") if modules()[name].name == "__init__.py" else name.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


@cache
def front_door() -> dict[str, str]:
    """The front door's ``_HOME``: public name -> absolute module."""
    for node in tree(PACKAGE / "__init__.py").body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_HOME" for t in node.targets):
            home = {}
            for value in node.value.values:  # **dict.fromkeys([...], ".sub.module")
                names, where = (ast.literal_eval(a) for a in value.args)
                home |= dict.fromkeys(names, "kinviz" + where)
            return home
    raise AssertionError("kinviz/__init__.py has no _HOME map")


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """(module read from, names taken, line) for every import in a module, resolved to absolute names."""
    out = []
    for node in ast.walk(tree(modules()[name])):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            out.append((base_of(name, node), [alias.name for alias in node.names], node.lineno))
    return out


@cache
def graph() -> dict[str, set[str]]:
    """kinviz module -> the kinviz modules it imports (the front door left out, see the module docstring)."""
    known = {m for m in modules() if m.startswith("kinviz.")}
    edges: dict[str, set[str]] = {m: set() for m in known}
    for name in known:
        for base, names, _ in imports(name):
            if base == "kinviz" and not names:  # `import kinviz`: each `kinviz.X` used is an import of X's home
                used = {n.attr for n in ast.walk(tree(modules()[name]))
                        if isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "kinviz"}
                edges[name] |= {front_door()[u] for u in used if u in front_door()}
            elif base == "kinviz":
                edges[name] |= {front_door().get(n, f"kinviz.{n}") for n in names}
            elif base in known:
                edges[name] |= {f"{base}.{n}" if f"{base}.{n}" in known else base for n in names} or {base}
            elif base.startswith("kinviz."):
                raise AssertionError(f"{name} imports {base}, which is not a module of kinviz")
        edges[name].discard(name)
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of nodes (the first repeated at the end), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def longest_chain(edges: dict[str, set[str]]) -> list[str]:
    """The longest import chain (importer first) of an acyclic graph."""
    best: dict[str, list[str]] = {}

    def chain(node: str) -> list[str]:
        if node not in best:
            below = [chain(n) for n in sorted(edges.get(node, ()))]
            best[node] = [node] + max(below, key=len, default=[])
        return best[node]

    return max((chain(n) for n in sorted(edges)), key=len)


def floor_of(module: str) -> str:
    """kinviz.training.generate -> kinviz.training; a module at the package's top is its own floor."""
    return ".".join(module.split(".")[:2])


def floors() -> dict[str, set[str]]:
    """Subpackage -> the subpackages it imports, the front doors and the known upward imports left out."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        if module in FRONT_DOORS:
            continue
        edges.setdefault(floor_of(module), set()).update(
            floor_of(t) for t in targets if t not in FRONT_DOORS and (module, t) not in KNOWN_UPWARD)
    for node, targets in edges.items():
        targets.discard(node)
    return edges


# ---------------------------------------------------------------- the rules

@pytest.mark.parametrize("path", checked_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_over_the_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it by job (at most {MAX_LINES})"


def test_private_names_stay_home():
    """No module of the package or the app, and no test, imports another module's private names."""
    found = []
    tests = {f"tests.{p.stem}": p for p in sorted((ROOT / "tests").glob("*.py"))}
    for name, path in [*modules().items(), *tests.items()]:
        taken = imports(name) if name in modules() else [  # tests import by absolute name
            (node.module, [a.name for a in node.names], node.lineno) for node in ast.walk(tree(path))
            if isinstance(node, ast.ImportFrom) and not node.level and node.module]
        for base, names, line in taken:
            if base != name and base.split(".")[0] in ("kinviz", "kinviz_app", "app_pages", "app"):
                found += [f"{path.relative_to(ROOT)}:{line} takes {n} from {base}" for n in names
                          if n.startswith("_") and not n.startswith("__") and f"{base}.{n}" not in modules()]
    assert not found, "a private name is used only in its own module; make what two share public:\n" + "\n".join(found)


def test_no_import_cycle():
    found = cycle(graph())
    assert not found, "import cycle: " + " -> ".join(found)


def test_every_subpackage_says_its_job():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(tree(init))
        assert doc and len(doc) > 40, f"{init.relative_to(ROOT)} needs a docstring naming its job and neighbours"


def test_subpackage_floors_stack_at_most_eight_high():
    edges = floors()
    assert not cycle(edges), "subpackages import each other: " + " -> ".join(cycle(edges))
    chain = longest_chain(edges)
    assert len(chain) <= MAX_FLOORS, f"{len(chain)} floors: {' -> '.join(chain)}"


def test_known_upward_imports_are_still_there():
    """An upward import that is gone leaves the list, so the list says what is left to move."""
    stale = [f"{a} -> {b}" for a, b in sorted(KNOWN_UPWARD) if b not in graph().get(a, ())]
    assert not stale, "remove from KNOWN_UPWARD: " + ", ".join(stale)


def test_the_front_door_points_at_each_names_home():
    """Every name in _HOME is defined at the top of the module it points to, and the TYPE_CHECKING block
    imports the same names from the same modules."""
    for name, module in front_door().items():
        body = tree(modules()[module]).body
        defined = {n.name for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        defined |= {t.id for n in body if isinstance(n, (ast.Assign, ast.AnnAssign))
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
        defined |= {a.asname or a.name for n in body if isinstance(n, ast.ImportFrom) for a in n.names}
        assert name in defined, f"kinviz.{name} points at {module}, which does not define it"
    eager = {}
    for node in tree(PACKAGE / "__init__.py").body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            eager = {a.name: "kinviz" + "." * (imp.level - 1) + f".{imp.module}"
                     for imp in node.body if isinstance(imp, ast.ImportFrom) for a in imp.names}
    assert eager == front_door(), "kinviz/__init__.py: the TYPE_CHECKING imports differ from _HOME"


def test_the_graph_reads_the_imports_it_should():
    """The checks above see through each kind of import (a guard against a graph that reads nothing)."""
    edges = graph()
    assert "kinviz.training.sampling" in edges["kinviz.training.bodies"]  # from .sampling import ...
    assert "kinviz.training.generate" in edges["kinviz.training.splits"]  # from . import generate
    assert "kinviz.io.formats" in edges["kinviz.evaluation.real"]  # import kinviz; kinviz.load_track
    assert "kinviz.core.errors" in edges["kinviz.io.examples"]  # from ..core.errors import KinvizError


if __name__ == "__main__":
    chain = longest_chain(graph())
    print(f"longest module chain: {len(chain)}\n  " + "\n  ".join(chain))
    chain = longest_chain(floors())
    print(f"longest subpackage chain: {len(chain)}: " + " -> ".join(chain))
