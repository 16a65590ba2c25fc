"""No import cycle between govbot's packages, not even one hidden behind TYPE_CHECKING;
the CLI (``govbot_cli``) sits on top of govbot and govbot never imports it; no cycle
between the sandbox's modules either.

The graph is read from the source (``ast``), so every ``import`` counts: module level,
inside functions (lazy imports) and under ``if TYPE_CHECKING:``. A node is a subpackage of
``govbot`` or ``govbot_cli`` (``govbot.notifier``, ``govbot.enforcer``...) or a top-level
module of one (``govbot.domain``, ``govbot_cli.policy_cmd``); an edge is a module of one
importing a module of another.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Each package of the graph, with the directory that holds it.
PACKAGES = {"govbot": REPO / "lambdas", "govbot_cli": REPO}
Edges = dict[str, dict[str, list[str]]]  # node -> node it imports -> "module -> module" lines


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _node(module: str) -> str:
    """``govbot.notifier.render`` -> ``govbot.notifier``; ``govbot.domain`` -> itself."""
    return ".".join(module.split(".")[:2])


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module name ``module`` imports (``from X import y`` counts X and X.y)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def package_graph(packages: dict[str, Path]) -> Edges:
    """The import graph between the subpackages and top-level modules of ``packages``
    (package name -> the directory holding it)."""
    modules = {
        _module_name(p, root): p
        for package, root in packages.items()
        for p in sorted((root / package).rglob("*.py"))
    }
    edges: Edges = defaultdict(lambda: defaultdict(list))
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target in _imported(tree, module, path.name == "__init__.py"):
            if target not in modules:
                continue  # outside the packages, or a name inside a module
            a, b = _node(module), _node(target)
            if a != b:
                edges[a][b].append(f"{module} -> {target}")
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def _explain(edges: Edges, component: list[str]) -> str:
    lines = [" <-> ".join(component)]
    for a in component:
        for b in component:
            lines.extend(f"    {line}" for line in sorted(set(edges.get(a, {}).get(b, []))))
    return "\n".join(lines)


def test_no_import_cycle_between_govbot_packages() -> None:
    edges = package_graph(PACKAGES)
    assert {"govbot.notifier", "govbot.kinds", "govbot.enforcer"} <= set(edges)  # it read them
    assert {"govbot_cli.policy_cmd", "govbot_cli.scope"} <= set(edges)  # and the CLI
    found = cycles(edges)
    assert not found, "import cycles between packages:\n" + "\n".join(
        _explain(edges, c) for c in found
    )


def test_no_import_cycle_between_sandbox_modules() -> None:
    # Nodes: govbot_sandbox's modules and subpackages (emulator, live).
    edges = package_graph({"govbot_sandbox": REPO})
    assert {"govbot_sandbox.sandbox", "govbot_sandbox.demo"} <= set(edges)  # it read them
    found = cycles(edges)
    assert not found, "import cycles in govbot_sandbox:\n" + "\n".join(
        _explain(edges, c) for c in found
    )


def test_govbot_never_imports_the_cli() -> None:
    """The CLI is built on govbot, never the reverse (``python -m govbot_cli`` runs it)."""
    edges = package_graph(PACKAGES)
    importers = {
        line.split(" -> ")[0]
        for node, targets in edges.items()
        if node.startswith("govbot.")
        for target, lines in targets.items()
        if target == "govbot_cli" or target.startswith("govbot_cli.")
        for line in lines
    }
    assert {"govbot.enforcer", "govbot.policy"} <= set(edges)  # govbot's side is read
    assert importers == set()
    cli_imports = {t for n, ts in edges.items() if n.startswith("govbot_cli") for t in ts}
    assert {"govbot.policy", "govbot.domain"} <= cli_imports  # the CLI's side is read too


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A cycle behind TYPE_CHECKING still counts, and so does a lazy import.
        (
            {
                "pkg/a/__init__.py": "",
                "pkg/a/x.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.b.y import Y\n",
                "pkg/b/__init__.py": "",
                "pkg/b/y.py": "def f():\n    from pkg.a import x\n",
            },
            [["pkg.a", "pkg.b"]],
        ),
        # Relative imports resolve; a module importing its own package is no cycle.
        (
            {
                "pkg/a/__init__.py": "from .x import X\n",
                "pkg/a/x.py": "from ..c import C\nX = 1\n",
                "pkg/c.py": "import pkg.a.x\nC = 1\n",
            },
            [["pkg.a", "pkg.c"]],
        ),
        ({"pkg/a/__init__.py": "", "pkg/a/x.py": "from . import y\n", "pkg/a/y.py": ""}, []),
    ],
)
def test_the_graph_sees_type_checking_lazy_and_relative_imports(
    tmp_path: Path, files: dict[str, str], expected: list[list[str]]
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert cycles(package_graph({"pkg": tmp_path})) == expected
