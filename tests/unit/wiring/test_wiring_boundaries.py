"""Where construction may happen: boto3 only in gateways/, ledger/ and the composition
root (the ``wiring`` package); the sandbox swaps dependencies through ``wiring.configure``
only; each handler imports only its own wiring module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "lambdas" / "govbot"
BOTO3_FACTORY = re.compile(r"boto3\.(client|resource|Session)\b|boto3\.session\.Session\(")
ALLOWED = ("gateways/", "ledger/", "wiring/")
ENV_WRITE = re.compile(
    r"os\.environ\s*\[[^\]]*\]\s*=|os\.environ\.(pop|update|setdefault|clear)\(|os\.putenv|setenv\("
)


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_boto3_clients_and_sessions_are_made_only_in_gateways_ledger_and_wiring() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _sources(PACKAGE)
        if not str(path.relative_to(PACKAGE)).startswith(ALLOWED)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if BOTO3_FACTORY.search(line)
    ]
    assert offenders == []


def test_the_cli_makes_no_boto3_client_and_gets_its_parts_from_the_wiring() -> None:
    """The CLI (``govbot_cli``, outside lambdas/) calls no boto3 factory: its clients come
    from the composition root's one Session (``govbot.wiring.session``)."""
    cli = REPO / "govbot_cli"
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in _sources(cli)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if BOTO3_FACTORY.search(line)
    ]
    assert offenders == []
    assert "govbot.wiring" in _imported_modules(cli / "deps.py")


def test_the_sandbox_never_writes_the_environment_or_clears_private_caches() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in _sources(REPO / "govbot_sandbox")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "cache_clear" in line or ENV_WRITE.search(line)
    ]
    assert offenders == []


def test_handlers_hold_no_construction_code() -> None:
    for path in _sources(PACKAGE / "handlers"):
        text = path.read_text()
        assert "functools import cache" not in text, path.name
        assert "load_settings" not in text, path.name
        assert "Ledger(" not in text, path.name
        assert "Gateway(" not in text, path.name


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (``from govbot.wiring import x`` counts as
    ``govbot.wiring.x``), lazy imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_each_handler_imports_only_its_own_wiring_module() -> None:
    for path in _sources(PACKAGE / "handlers"):
        if path.name == "__init__.py":
            continue
        wiring = {m for m in _imported_modules(path) if m.startswith("govbot.wiring.")}
        assert wiring == {f"govbot.wiring.{path.stem}"}, path.name


HANDLER_SPECIFIC = (
    "govbot.wiring.",
    "govbot.enforcer",
    "govbot.replicator",
    "govbot.notifier",
    "govbot.actions",
    "govbot.governance",
)


def test_the_wiring_core_imports_nothing_handler_specific() -> None:
    """Every asset carries the core (and the package's __init__): it must stay handler-free."""
    for name in ("__init__.py", "core.py"):
        imported = _imported_modules(PACKAGE / "wiring" / name)
        specific = {
            m
            for m in imported
            if m.startswith(HANDLER_SPECIFIC) and not m.startswith("govbot.wiring.core")
        }
        assert specific == set(), name
