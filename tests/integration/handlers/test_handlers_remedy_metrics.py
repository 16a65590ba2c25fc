"""The enforcer emits RemediesApplied / RemediesFailed by rule, as EMF (the dashboard's).

On the sandbox: a person's forbidden share goes through EventBridge, SQS and the real
enforcer handler, with metrics switched on; the EMF lines it prints are parsed back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from govbot import observability
from govbot.enforcer.outcomes import remedy_tally
from govbot.handlers.enforcer import _remedy_metrics
from govbot.ledger.records.events import ActionRecord
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"


NAMESPACE = "govbot-tests"


@pytest.fixture(autouse=True)
def namespace() -> Iterator[None]:
    """The deployed functions' namespace and service (their environment sets them)."""
    metrics = observability.metrics
    before = (metrics.namespace, metrics.service)
    metrics.namespace, metrics.service = NAMESPACE, "govbot"
    yield
    metrics.namespace, metrics.service = before


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        observability.configure(emit_metrics=True)  # the sandbox turns them off
        try:
            yield sb
        finally:
            observability.configure(emit_metrics=False)


def _emf(out: str, name: str) -> list[dict[str, Any]]:
    """The EMF documents among ``out``'s lines that carry metric ``name``."""
    found = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        doc = json.loads(line)
        declared = doc.get("_aws", {}).get("CloudWatchMetrics", [])
        if any(m["Name"] == name for d in declared for m in d["Metrics"]):
            found.append(doc)
    return found


def test_a_remedy_applied_by_the_enforcer_is_counted_under_its_rule(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    sandbox.appstream(REGION).update_image_permissions(
        Name="app-base",
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )
    capsys.readouterr()

    sandbox.drain()

    out = capsys.readouterr().out
    (applied,) = _emf(out, "RemediesApplied")
    assert applied["rule"] == "no-untrusted-builders"
    assert applied["RemediesApplied"] == [1.0]
    (dimensions,) = applied["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert sorted(dimensions) == ["rule", "service"]
    assert applied["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert applied["service"] == "govbot"
    assert _emf(out, "RemediesFailed") == []


def test_failed_remedies_are_counted_per_rule_and_nothing_when_metrics_are_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def action(seq: int, status: str, rules: list[str]) -> ActionRecord:
        return ActionRecord(
            event_id="e",
            seq=seq,
            operation="UpdateImagePermissions",
            status=status,
            request={"rule_ids": rules},
        )

    tally = remedy_tally(
        [
            action(1, "failed", ["no-outsiders", "no-untrusted-builders"]),
            action(2, "failed", ["no-outsiders"]),
            action(3, "started", ["no-outsiders"]),  # in flight: neither
            action(4, "succeeded", ["no-outsiders"]),
        ]
    )
    assert tally == {
        "applied": {"no-outsiders": 1},
        "failed": {"no-outsiders": 2, "no-untrusted-builders": 1},
    }
    observability.configure(emit_metrics=True)
    try:
        _remedy_metrics(tally)
    finally:
        observability.configure()
    out = capsys.readouterr().out
    failed = {d["rule"]: d["RemediesFailed"] for d in _emf(out, "RemediesFailed")}
    assert failed == {"no-outsiders": [2.0], "no-untrusted-builders": [1.0]}
    observability.configure(emit_metrics=False)
    try:
        _remedy_metrics(tally)
    finally:
        observability.configure()
    assert capsys.readouterr().out == ""
