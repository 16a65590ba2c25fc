"""Announce changes, not states (issue 11), end to end on the sandbox: a standing audit
violation is announced once, recalled only in the reminder digest, and its resolution is
announced; every sweep still leaves its observations in the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from govbot.ledger.records.events import DecisionRecord
from govbot.observability import metrics
from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import DEMO_POLICY, HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
IMAGE = f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/dev-tools"
HOUR = 3600


@pytest.fixture
def world() -> Iterator[tuple[Sandbox, FakeSlack, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with FakeSlack() as slack, Sandbox(regions=(REGION,), slack=slack, clock=clock) as sb:
        yield sb, slack, clock


def _sweep(sb: Sandbox) -> dict[str, object]:
    """One scheduled sweep invocation. Lambda flushes (and so empties) the metrics after
    every invocation; the sandbox disables that flush, so clear them as Lambda would,
    or Powertools' 100-value auto-flush fails without a namespace in a long test."""
    report = sb.drift_sweep()
    metrics.clear_metrics()
    return report


def _texts(slack: FakeSlack) -> list[str]:
    return [str(m["text"]) for m in slack.delivered("default")]


def _standing_audit_violation(sb: Sandbox) -> None:
    """Alice shares a dev image for fleets: rule audit-fleet-dev reports, never acts."""
    sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "dev-tools")
    sb.appstream(REGION).update_image_permissions(
        Name="dev-tools",
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": False},
    )
    sb.drain()


def _sweep_decisions(sb: Sandbox) -> list[DecisionRecord]:
    return [
        r
        for r in sb.ledger.by_image(IMAGE)
        if isinstance(r, DecisionRecord) and r.event_id.startswith("DRIFT-")
    ]


@pytest.mark.slow
def test_a_week_of_hourly_sweeps_announces_once_and_reminds_daily(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, slack, clock = world
    _standing_audit_violation(sb)
    first = _texts(slack)
    assert len(first) == 1
    assert "Policy violation (audit)" in first[0]

    for hour in range(1, 7 * 24 + 1):
        clock.advance(HOUR)
        report = _sweep(sb)
        assert report["counts"]["drifted"] == 0  # type: ignore[index]  # nothing new to report
        if hour % 24 == 0:
            sb.drain()  # the notifier delivers whatever the day's sweeps queued

    texts = _texts(slack)
    violations = [t for t in texts if "Policy violation" in t]
    reminders = [t for t in texts if "Still standing" in t]
    assert len(violations) == 1
    # Default interval: daily; the violation was announced 7 x 24 hours before the end.
    assert len(reminders) == 7
    assert len(texts) == 1 + 7  # no drift_found per sweep either
    # fleet_only_for_listed's default severity is high (no severity set in the demo policy).
    assert "[high]" in reminders[0]
    blocks = [json.dumps(m["blocks"]) for m in slack.delivered("default") if "Still" in m["text"]]
    assert all("dev-tools" in b and "audit-fleet-dev" in b for b in blocks)
    # The ledger keeps every observation: one audit violation decision per sweep.
    violations_seen = [d for d in _sweep_decisions(sb) if d.outcome == "violation"]
    assert len(violations_seen) == 7 * 24
    assert {(d.rule_id, d.mode) for d in violations_seen} == {("audit-fleet-dev", "audit")}
    # The world did not change: the share is still there (audit mode).
    listing = sb.appstream(REGION).describe_image_permissions(Name="dev-tools")
    assert [p["sharedAccountId"] for p in listing["SharedImagePermissionsList"]] == [OUTSIDER]


def test_reminder_interval_comes_from_the_policy(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, slack, clock = world
    policy = DEMO_POLICY.read_text().replace(
        "notifications:\n", "notifications:\n  reminder_interval_hours: 0\n", 1
    )
    sb.put_policy(policy)
    _standing_audit_violation(sb)

    for _hour in range(48):
        clock.advance(HOUR)
        _sweep(sb)
        sb.drain()

    texts = _texts(slack)
    assert len(texts) == 1  # announced once; 0 means no reminders at all
    assert "Policy violation (audit)" in texts[0]


def test_resolution_is_announced_once_then_silence(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, slack, clock = world
    _standing_audit_violation(sb)
    clock.advance(HOUR)
    _sweep(sb)
    sb.drain()
    assert len(_texts(slack)) == 1

    # Bob removes the share: the DeleteImagePermissions event resolves the finding.
    sb.appstream(REGION, user="bob").delete_image_permissions(
        Name="dev-tools", SharedAccountId=OUTSIDER
    )
    sb.drain()
    resolved = [t for t in _texts(slack) if "Violation resolved" in t]
    assert len(resolved) == 1
    assert "dev-tools" in resolved[0]
    state = sb.ledger.get_announced(IMAGE)
    assert state is not None
    assert state.findings == {}
    assert sb.ledger.open_announcements() == []

    before = len(_texts(slack))
    for _hour in range(30):
        clock.advance(HOUR)
        _sweep(sb)
        sb.drain()
    assert len(_texts(slack)) == before  # compliant and resolved: nothing more to say


def test_a_share_removed_without_an_event_is_resolved_by_the_sweep(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, slack, clock = world
    _standing_audit_violation(sb)
    # The share disappears behind govbot's back (no CloudTrail event reaches it).
    sb.emulator.backend.world.images[IMAGE].shares.clear()
    clock.advance(HOUR)

    _sweep(sb)
    sb.drain()

    resolved = [t for t in _texts(slack) if "Violation resolved" in t]
    assert len(resolved) == 1
    assert "compliant" in resolved[0]
    assert sb.ledger.open_announcements() == []
