"""The import closure of the Lambda handlers: exactly the modules the asset must carry.

The asset is decided by what the handlers import, not by a hand list: starting from every
module of ``govbot.handlers``, each module's ``import`` statements are read (function-level,
lazy imports included; ``if TYPE_CHECKING:`` blocks excluded, they never run) and followed
through the vendored packages (``govbot`` and ``slack_sdk``). Any other top-level import must
be the standard library or what the Lambda runtime and the Powertools layer provide;
anything else (PyYAML, cbor2, moto, the sandbox, the CLI) stops the synth, naming the
module that imports it.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Top-level packages the functions get without the asset: the python3.11 runtime's
# boto3/botocore and the `aws-lambda-powertools[all]` layer (and their dependencies).
RUNTIME_PROVIDED = frozenset(
    {
        "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six",
        "aws_lambda_powertools", "pydantic", "pydantic_core", "annotated_types",
        "typing_extensions", "typing_inspection", "aws_xray_sdk", "wrapt", "fastjsonschema",
    }
)  # fmt: skip
# Modules that must never be reached from a handler, with the reason given to the user.
FORBIDDEN = {
    # A top-level package beside govbot: importing it from a handler's closure stops the synth.
    "govbot_cli": "the CLI is not part of the Lambda asset",
    "govbot_sandbox": "the sandbox is for local runs only",
    "yaml": "the functions read the policy as JSON; YAML is read by the CLI and the synth",
    "cbor2": "only the sandbox's AppStream emulator speaks CBOR",
    "moto": "moto is a test dependency",
}
HANDLER_PACKAGE = "govbot.handlers"


class ClosureError(RuntimeError):
    """A handler reaches a module the Lambda environment does not have."""


@dataclass
class Closure:
    """Modules reached (name -> source file) and, per external import, who imports it."""

    modules: dict[str, Path] = field(default_factory=dict)
    external: dict[str, set[str]] = field(default_factory=dict)
    # Vendored packages needed only as parents: their __init__ ships empty.
    trimmed: set[str] = field(default_factory=set)

    def files_under(self, root: Path) -> list[tuple[Path, bool]]:
        """(source file, trimmed) of the reached modules under ``root``, sorted."""
        trimmed = {self.modules[name] for name in self.trimmed}
        return sorted((p, p in trimmed) for p in self.modules.values() if p.is_relative_to(root))


def _module_file(name: str, roots: Mapping[str, Path]) -> Path | None:
    top, _, rest = name.partition(".")
    base = roots.get(top)
    if base is None:
        return None
    path = base.joinpath(*rest.split(".")) if rest else base
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


# What an import asks of a module: to exist and run ("module"); only to be the parent
# package of what is imported ("parent"); to provide its own names to the importer
# ("bound", e.g. `import pkg`); or "name": `from pkg import name`, a submodule or an
# attribute of pkg (then pkg is "bound").
Need = str
ModuleFinder = Callable[[str], Path | None]  # module name -> its source file, if vendored


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterable[tuple[str, Need]]:
    """(imported name, need) for every import that can run in ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds `a`: code may use names of a's __init__; `as` binds a.b.
                yield alias.name, "bound" if alias.asname is None else "module"
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            # `from P import x` runs P's __init__ only as x's parent when x is a submodule.
            yield base, "parent"
            for alias in node.names:
                yield (base, "bound") if alias.name == "*" else (f"{base}.{alias.name}", "name")
        stack.extend(ast.iter_child_nodes(node))


# Memoized by text: the four function assets share most of their modules, and a process
# (the test suite) may synthesize several times.
@functools.lru_cache(maxsize=4096)
def _imports_of_text(
    text: str, module: str, is_package: bool, filename: str
) -> tuple[tuple[str, Need], ...]:
    return tuple(_imports(ast.parse(text, filename=filename), module, is_package))


def import_closure(
    entry_modules: Iterable[str], roots: Mapping[str, Path], *, first_party: str = "govbot"
) -> Closure:
    """Follow imports from ``entry_modules`` through the packages in ``roots`` (name -> dir).

    A vendored (not ``first_party``) package whose own names nobody imports is needed only
    as the parent of its submodules: its ``__init__`` is listed in ``Closure.trimmed`` and
    not followed (slack_sdk's re-exports its whole Web API client, which govbot never uses).
    """
    closure = Closure()
    # One lookup per name per closure (the tree does not change meanwhile): names are
    # asked for again at every import of them.
    find: ModuleFinder = functools.cache(lambda module: _module_file(module, roots))
    bound: set[str] = set()  # packages whose own names some reached module uses
    pending = [(name, "module") for name in entry_modules]
    while pending:
        name, need = pending.pop()
        if need == "bound":
            bound.add(name)
        if name in closure.modules and name not in closure.trimmed:
            continue
        path = find(name)
        if path is None:
            raise ClosureError(f"module {name} not found under {sorted(roots)}")
        closure.modules[name] = path
        is_package = path.name == "__init__.py"
        vendored = name.partition(".")[0] != first_party
        if is_package and vendored and need != "module" and name not in bound:
            closure.trimmed.add(name)  # scanned later if someone turns out to need it
            continue
        closure.trimmed.discard(name)
        text = path.read_text(encoding="utf-8")
        for imported, import_need in _imports_of_text(text, name, is_package, str(path)):
            _follow(imported, import_need, name, roots, find, closure, pending)
    _check(closure)
    return closure


def _follow(
    imported: str,
    need: Need,
    importer: str,
    roots: Mapping[str, Path],
    find: ModuleFinder,
    closure: Closure,
    pending: list[tuple[str, Need]],
) -> None:
    parts = imported.split(".")
    if parts[0] not in roots:
        closure.external.setdefault(parts[0], set()).add(importer)
        return
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    for depth in range(1, len(parts) + 1):
        candidate = ".".join(parts[:depth])
        last = depth == len(parts)
        if find(candidate) is None:
            if last and need != "name":
                raise ClosureError(f"{importer} imports {candidate}, which does not exist")
            if last:  # `from pkg import name`: an attribute of pkg, so pkg's names are used
                pending.append((".".join(parts[:-1]), "bound"))
            continue
        if last:
            pending.append((candidate, "module" if need == "name" else need))
        elif need == "bound" and depth == 1:
            pending.append((candidate, "bound"))
        else:
            pending.append((candidate, "parent"))


def _check(closure: Closure) -> None:
    problems = [
        f"{module} is reached ({reason})"
        for name, reason in FORBIDDEN.items()
        for module in closure.modules
        if module == name or module.startswith(name + ".")
    ]
    for top, importers in sorted(closure.external.items()):
        if top in FORBIDDEN:
            problems += [f"{i} imports {top} ({FORBIDDEN[top]})" for i in sorted(importers)]
        elif top not in RUNTIME_PROVIDED and top not in sys.stdlib_module_names:
            problems += [
                f"{i} imports {top}, which neither the Lambda runtime nor the Powertools "
                "layer provides (vendor it or drop the import)"
                for i in sorted(importers)
            ]
    if problems:
        raise ClosureError(
            "the Lambda handlers reach modules they cannot have: " + "; ".join(problems)
        )


def handler_modules(source_root: Path) -> list[str]:
    """Every module of ``govbot.handlers`` (the functions' entry points)."""
    package = source_root.joinpath(*HANDLER_PACKAGE.split("."))
    return sorted(
        f"{HANDLER_PACKAGE}.{p.stem}" for p in package.glob("*.py") if p.name != "__init__.py"
    )
