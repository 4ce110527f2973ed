"""The package's layering: data flows one way, SQL lives only in the store, pynvim only in the
bridge, llama_cpp only in model worker code. A lower layer importing a higher one fails here, and
so does any import cycle between modules, counting imports inside functions too (a cycle hidden
in a function body is still a cycle: each half needs the other to work)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "python" / "rrag"

LAYERS = {
    "errors": 0, "config": 0, "paths": 0, "procs": 0, "__init__": 0,
    "parse": 1,
    "store": 2,
    "graph": 3, "embed": 3,
    "rank": 4,
    "llm": 5,
    "service": 6,
    "protocol": 7, "cli": 7, "bridge": 7, "host": 7, "vimhost": 7, "__main__": 7,
}


def _top(module: str) -> str:
    parts = module.split(".")
    assert parts[0] == "rrag", module
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        out.append((name, path))
    return out


def _imports(name: str, path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append(mod)
            if node.module is None or node.level:
                found += [f"{mod}.{a.name}" for a in node.names if mod == "rrag"]
    return found


def test_every_module_has_a_known_layer():
    for name, _ in _modules():
        assert _top(name) in LAYERS, f"{name}: add its top-level package to LAYERS"


def test_no_module_imports_a_higher_layer():
    bad = []
    for name, path in _modules():
        mine = LAYERS[_top(name)]
        for imp in _imports(name, path):
            if imp == "rrag" or not imp.startswith("rrag."):
                continue
            theirs = LAYERS.get(_top(imp))
            if theirs is not None and theirs > mine:
                bad.append(f"{name} (layer {mine}) imports {imp} (layer {theirs})")
    assert not bad, "\n".join(bad)


def test_graph_and_embed_do_not_import_each_other():
    for name, path in _modules():
        top = _top(name)
        if top in ("graph", "embed"):
            other = "embed" if top == "graph" else "graph"
            assert not any(i.startswith(f"rrag.{other}") for i in _imports(name, path)), name


SQL = re.compile(r"\b(SELECT\s+[\w*]|INSERT\s+INTO|CREATE\s+(TABLE|INDEX|VIRTUAL)|DELETE\s+FROM|"
                 r"UPDATE\s+\w+\s+SET)\b")


def test_sql_only_in_store():
    offenders = [name for name, path in _modules()
                 if _top(name) != "store" and SQL.search(path.read_text(encoding="utf-8"))]
    assert not offenders, f"SQL outside rrag.store: {offenders}"


def test_pynvim_only_in_bridge():
    offenders = [name for name, path in _modules()
                 if _top(name) != "bridge"
                 and any(i == "pynvim" or i.startswith("pynvim.") for i in _imports(name, path))]
    assert not offenders, f"pynvim imported outside rrag.bridge: {offenders}"


def test_modules_open_with_a_docstring():
    missing = [name for name, path in _modules()
               if path.stat().st_size and ast.get_docstring(ast.parse(path.read_text())) is None]
    assert not missing, f"modules without a docstring: {missing}"


def _module_graph() -> dict[str, set[str]]:
    """Module -> the rrag modules it imports (``from .pkg import name`` counts as the module
    ``pkg.name`` when that is a module, else as ``pkg``)."""
    names = {name for name, _ in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in _modules():
        targets = set()
        for imp in _imports(name, path):
            while imp and imp not in names:
                imp = imp.rpartition(".")[0]
            if imp and imp != name and imp != "rrag":
                targets.add(imp)
        graph[name] = targets
    # a package's __init__ importing its own submodules is how packages re-export, not a cycle
    return {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_even_inside_functions():
    assert _cycles(_module_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
