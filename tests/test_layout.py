"""The layout stays readable: short modules, no import cycles, and every domain package says
what its entry points are and which of its modules touch the database."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
MAX_LINES = 400
PACKAGES = sorted(p.parent for p in (APP / "services").glob("*/__init__.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_imports(path: Path, modules: set[str]) -> set[str]:
    """The app modules this one imports when it is loaded (TYPE_CHECKING blocks aside)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("app"):
                assert n.module is not None
                for alias in n.names:
                    full = f"{n.module}.{alias.name}"
                    found.add(full if full in modules else n.module)
            elif isinstance(n, ast.Import):
                found |= {a.name for a in n.names if a.name.startswith("app")}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of the graph: its strongly connected parts of more than one module."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        order[v] = low[v] = len(order)
        stack.append(v)
        for w in graph.get(v, set()) & graph.keys():
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            part = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in order:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_app_has_no_import_cycles() -> None:
    files = sorted(APP.rglob("*.py"))
    modules = {module_name(f) for f in files}
    graph = {module_name(f): app_imports(f, modules) for f in files}
    assert cycles(graph) == []


def test_no_module_is_too_long_to_read() -> None:
    long = {
        str(f.relative_to(ROOT)): n
        for f in APP.rglob("*.py")
        if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (over {MAX_LINES} lines): {long}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_a_domain_package_names_its_entry_points(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "Entry points" in doc, f"{package.name}/__init__.py: name the entry points"
    for module in package.glob("*.py"):
        if module.stem not in ("__init__", "queries"):
            assert f"`{module.stem}" in doc, (
                f"{package.name}/__init__.py: say what {module.stem} is"
            )
