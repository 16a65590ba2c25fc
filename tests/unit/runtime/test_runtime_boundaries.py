"""Where construction may happen: boto3 only in gateways/, ledger/ and the composition
root; the sandbox swaps dependencies through ``runtime.configure`` only."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "lambdas" / "govbot"
BOTO3_FACTORY = re.compile(r"boto3\.(client|resource|Session)\b|boto3\.session\.Session\(")
ALLOWED = ("gateways/", "ledger/", "runtime.py")
ENV_WRITE = re.compile(
    r"os\.environ\s*\[[^\]]*\]\s*=|os\.environ\.(pop|update|setdefault|clear)\(|os\.putenv|setenv\("
)


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_boto3_clients_and_sessions_are_made_only_in_gateways_ledger_and_runtime() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _sources(PACKAGE)
        if not str(path.relative_to(PACKAGE)).startswith(ALLOWED)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if BOTO3_FACTORY.search(line)
    ]
    assert offenders == []


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
