"""What the sweep counts and when a standing finding ends (issue 11 leftovers), on the
sandbox: an announced, still standing violation is counted as standing, not compliant;
an image deleted while a violation stood is resolved (by its DeleteImage event, or by
the sweep not finding it) and never appears in a reminder digest again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from govbot.ledger.records.outbox import OutboxItem
from govbot.observability import metrics
from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
IMAGE = f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/dev-tools"
DAY = 24 * 3600


@pytest.fixture
def world() -> Iterator[tuple[Sandbox, FakeSlack, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with FakeSlack() as slack, Sandbox(regions=(REGION,), slack=slack, clock=clock) as sb:
        yield sb, slack, clock


def _sweep(sb: Sandbox) -> dict[str, Any]:
    report = sb.drift_sweep()
    metrics.clear_metrics()  # as Lambda does after each invocation
    sb.drain()
    return report


def _texts(slack: FakeSlack, title: str) -> list[str]:
    return [str(m["text"]) for m in slack.delivered("default") if title in str(m["text"])]


def _resolved(sb: Sandbox) -> list[OutboxItem]:
    return [
        r
        for r in sb.ledger.by_image(IMAGE)
        if isinstance(r, OutboxItem) and r.message_kind == "violation_resolved"
    ]


def _standing_audit_violation(sb: Sandbox) -> None:
    """A dev image shared for fleets with an outsider: rule audit-fleet-dev only reports."""
    sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "dev-tools")
    sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")  # compliant
    sb.appstream(REGION).update_image_permissions(
        Name="dev-tools",
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": False},
    )
    sb.drain()


def test_a_standing_announced_violation_is_counted_standing_not_compliant(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, _slack, clock = world
    _standing_audit_violation(sb)

    clock.advance(3600)
    report = _sweep(sb)

    counts = report["counts"]
    assert counts["images"] == 2
    assert counts["compliant"] == 1  # app-base only
    assert counts["standing"] == 1  # dev-tools: announced by its event, still there
    assert counts["drifted"] == 0  # nothing new
    run = sb.ledger.get_event(report["run_event_id"])
    assert run.event is not None
    assert "standing=1" in str(run.event.note)


def test_an_image_deleted_while_its_violation_stood_is_resolved_by_the_delete_event(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, slack, clock = world
    _standing_audit_violation(sb)
    assert len(_texts(slack, "Policy violation (audit)")) == 1

    # Bob unshares and deletes the image at once; govbot hears both events afterwards
    # (by then the image is gone, so the unshare event finds nothing to re-evaluate).
    bob = sb.appstream(REGION, user="bob")
    bob.delete_image_permissions(Name="dev-tools", SharedAccountId=OUTSIDER)
    bob.delete_image(Name="dev-tools")
    sb.drain()

    assert sb.appstream(REGION).describe_images(Type="PRIVATE")["Images"][0]["Name"] == "app-base"
    (item,) = _resolved(sb)
    assert "image deleted by" in item.payload["details"]["cause"]
    assert len(_texts(slack, "Violation resolved")) == 1
    assert sb.ledger.open_announcements() == []

    # Two days of sweeps: no reminder digest names it, nothing else is said.
    before = len(slack.delivered("default"))
    for _ in range(2):
        clock.advance(DAY)
        _sweep(sb)
    assert _texts(slack, "Still standing") == []
    assert len(slack.delivered("default")) == before


def test_an_image_gone_without_an_event_is_resolved_by_the_sweep(
    world: tuple[Sandbox, FakeSlack, ManualClock],
) -> None:
    sb, slack, clock = world
    _standing_audit_violation(sb)
    # The image disappears behind govbot's back (no CloudTrail event reaches it).
    del sb.emulator.backend.world.images[IMAGE]

    clock.advance(DAY)
    report = _sweep(sb)

    (item,) = _resolved(sb)
    assert "no longer exists" in item.payload["details"]["cause"]
    assert report["counts"]["images"] == 1  # app-base
    assert _texts(slack, "Still standing") == []  # resolved in the same pass, not recalled
    assert len(_texts(slack, "Violation resolved")) == 1
    clock.advance(DAY)
    _sweep(sb)
    assert _texts(slack, "Still standing") == []
