"""Every error code the emulator can raise for an operation is one AppStream's model lists
for it (botocore's service-2.json ``errors``), or an error common to every AWS API.

Static: the handler of each operation and every emulator function it may reach (by name,
an over-approximation) are searched for ``AppStreamError(CODE, ...)``; a code reached
through a call path the model does not allow fails, naming that path.
"""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.session
import pytest

import govbot_sandbox.emulator as emulator_package
from govbot_sandbox.emulator import contract
from govbot_sandbox.emulator.backend import MUTATING, READ_ONLY

# Errors of every AWS API ("Common Errors" of the AppStream API reference): constraint
# checks of a request's members (shape-level) and throttling, which no operation lists.
COMMON_ERRORS = frozenset({"ValidationException", "ThrottlingException"})
Key = tuple[str, str]  # (module, function)


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }


def _scan() -> tuple[dict[Key, tuple[set[str], set[tuple[str, ...]]]], dict[str, list[Key]]]:
    functions: dict[Key, tuple[set[str], set[tuple[str, ...]]]] = {}
    by_name: dict[str, list[Key]] = {}
    for path in sorted(Path(emulator_package.__file__).parent.glob("*.py")):
        module, tree = path.stem, ast.parse(path.read_text())
        constants = _constants(tree)
        modules: dict[str, str] = {}
        imported: dict[str, Key] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "govbot_sandbox.emulator"
            ):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module == "govbot_sandbox.emulator":
                        modules[local] = alias.name
                    else:
                        imported[local] = (str(node.module).rsplit(".", 1)[-1], alias.name)
        for node in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            codes: set[str] = set()
            calls: set[tuple[str, ...]] = set()
            for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                func = call.func
                if isinstance(func, ast.Name) and func.id == "AppStreamError" and call.args:
                    first = call.args[0]
                    if isinstance(first, ast.Constant):
                        codes.add(str(first.value))
                    elif isinstance(first, ast.Name):
                        named = constants.get(first.id) or getattr(contract, first.id, first.id)
                        codes.add(str(named))
                    else:
                        codes.add(f"<computed in {module}.{node.name}>")
                elif isinstance(func, ast.Name):
                    calls.add(imported.get(func.id, (module, func.id)))
                elif isinstance(func, ast.Attribute):
                    owner = func.value.id if isinstance(func.value, ast.Name) else ""
                    calls.add((modules[owner], func.attr) if owner in modules else (func.attr,))
            functions[(module, node.name)] = (codes, calls)
            by_name.setdefault(node.name, []).append((module, node.name))
    return functions, by_name


FUNCTIONS, BY_NAME = _scan()


def raisable(start: Key) -> dict[str, tuple[str, ...]]:
    """Error codes reachable from ``start``, each with one call path that reaches it."""
    found: dict[str, tuple[str, ...]] = {}
    seen: set[Key] = set()
    stack: list[tuple[Key, tuple[str, ...]]] = [(start, (start[1],))]
    while stack:
        key, path = stack.pop()
        if key in seen or key not in FUNCTIONS:
            continue
        seen.add(key)
        codes, calls = FUNCTIONS[key]
        for code in codes:
            found.setdefault(code, path)
        for call in calls:
            targets = [(call[0], call[1])] if len(call) == 2 else BY_NAME.get(call[0], [])
            stack.extend((target, (*path, target[1])) for target in targets)
    return found


MODEL = botocore.session.get_session().get_service_model("appstream")
HANDLERS = {**READ_ONLY, **MUTATING}


@pytest.mark.parametrize("operation", sorted(HANDLERS))
def test_every_error_an_operation_can_raise_is_in_its_model(operation: str) -> None:
    handler = HANDLERS[operation]
    codes = raisable((handler.__module__.rsplit(".", 1)[-1], handler.__name__))
    modelled = {shape.name for shape in MODEL.operation_model(operation).error_shapes}
    assert {c: p for c, p in codes.items() if c not in modelled | COMMON_ERRORS} == {}


def test_the_search_finds_errors_through_helpers() -> None:
    # The scanner is only as good as what it reaches: a helper's code must show.
    codes = raisable(("images", "update_image_permissions"))
    assert codes["LimitExceededException"] == ("update_image_permissions",)
    assert "ResourceNotAvailableException" in codes
    assert "ResourceNotFoundException" in codes
