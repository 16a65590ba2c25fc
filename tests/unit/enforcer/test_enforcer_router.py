"""The router reads a body once and owns its rejection; the enforcer's modules form no cycle."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

import govbot.enforcer
from govbot.enforcer.router import (
    CloudTrail,
    Message,
    Scheduled,
    Unreadable,
    Work,
    read_message,
)
from govbot.events import ParsedEvent, RejectedEvent
from tests.unit.enforcer.builders import OUTSIDER, OWNER, REGION, share_event, work, world

ENFORCER = Path(govbot.enforcer.__file__).parent


def _read(body: str, *, schedules: bool = True) -> Message:
    return read_message(
        body,
        governed_accounts=frozenset({OWNER}),
        governed_regions=frozenset({REGION}),
        schedules=schedules,
    )


def test_a_cloudtrail_body_is_decoded_once_and_kept_verbatim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = json.dumps(share_event("app-base", OUTSIDER, fleet=True, builder=False))
    decoded: list[object] = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        decoded.append(text)
        return real_loads(text, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    message = _read(body)

    assert isinstance(message, CloudTrail)
    assert isinstance(message.event, ParsedEvent)
    assert message.event.raw == body  # the body as received, not a re-serialised copy
    assert decoded == [body]


def test_each_kind_of_body_is_told_apart() -> None:
    scheduled = {"detail-type": "Scheduled Event", "source": "aws.events", "id": "t-1"}
    envelope = work("ReapplyRevocation", f"arn:aws:appstream:{REGION}:{OWNER}:image/x", OUTSIDER)

    assert isinstance(_read(json.dumps(scheduled)), Scheduled)
    assert isinstance(_read(envelope), Work)
    # A direct call has no sweep: a schedule's body is an event the parser refuses.
    direct = _read(json.dumps(scheduled), schedules=False)
    assert isinstance(direct, CloudTrail)
    assert isinstance(direct.event, RejectedEvent)
    not_json = _read("{")
    assert isinstance(not_json, CloudTrail)
    assert isinstance(not_json.event, RejectedEvent)
    assert "not valid JSON" in not_json.event.reason


def test_a_body_too_deep_to_decode_is_rejected_once_with_a_bounded_reason() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    message = _read(deep)
    assert isinstance(message, Unreadable)
    assert message.rejection.reason.startswith("message body could not be read: RecursionError")
    assert len(message.rejection.reason) <= 300

    w = world()
    result = w.enforcer.handle(deep)
    assert result.status == "rejected"
    rejected = [e for e in w.ledger.events.values() if e.status == "rejected"]
    assert [e.event_id for e in rejected] == [result.event_id]
    assert len(w.ledger.outbox_of("event_rejected")) == 1


def _imports(path: Path) -> set[str]:
    """Every govbot.enforcer module ``path`` imports, TYPE_CHECKING and lazy ones included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("govbot.enforcer.")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENFORCER.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycle_inside_the_enforcer_type_checking_imports_included() -> None:
    modules = {_module_name(p): p for p in ENFORCER.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in _imports(path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cyclic = sorted(name for name in graph if reaches(name, name, {name}))
    assert cyclic == []


def test_the_enforcer_modules_stay_under_400_lines() -> None:
    long = {
        _module_name(p): n
        for p in ENFORCER.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}
