"""Stop-sharing impact and builder exposure, concretely (issue 11), on the sandbox: when the
consumer account is governed too, the messages name its fleets scaled to 0 and the image
builders it created from the image while it could."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
SPOKE = "222222222222"  # governed, not trusted: may hold fleet on listed images only
OUTSIDER = "999999999999"  # not governed


@pytest.fixture
def world() -> Iterator[tuple[Sandbox, FakeSlack]]:
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with (
        FakeSlack() as slack,
        Sandbox(regions=(REGION,), accounts=(HUB_ACCOUNT, SPOKE), slack=slack, clock=clock) as sb,
    ):
        yield sb, slack


def _items(sb: Sandbox, arn: str, kind: str) -> list[OutboxItem]:
    return [
        r for r in sb.ledger.by_image(arn) if isinstance(r, OutboxItem) and r.message_kind == kind
    ]


def _delivered(slack: FakeSlack, title: str) -> list[str]:
    return [json.dumps(m) for m in slack.delivered("default") if title in str(m["text"])]


def test_stop_sharing_names_the_governed_consumers_fleets_at_zero(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    backend = sb.emulator.backend
    arn = backend.seed_image(HUB_ACCOUNT, REGION, "app-base", shared_with={SPOKE: (True, False)})
    fleet_arn = backend.seed_fleet(SPOKE, REGION, "spoke-call-center", arn, desired=3)

    sb.appstream(REGION).delete_image_permissions(Name="app-base", SharedAccountId=SPOKE)
    sb.drain()

    # AppStream state: the consumer's fleet is at desired capacity 0.
    assert backend.world.fleets[fleet_arn].desired == 0
    (item,) = _items(sb, arn, "stop_sharing_impact")
    details = item.payload["details"]
    assert details["fleets"] == ["spoke-call-center"]
    assert "Running sessions continue until they end" in details["fleet_impact"]
    event = sb.ledger.get_event(str(item.payload["event_id"]))
    assert event.event is not None
    assert event.event.status == "processed"
    (message,) = _delivered(slack, "Fleet access removed")
    assert "spoke-call-center" in message
    assert "Running sessions continue until they end" in message


def test_stop_sharing_with_an_ungoverned_account_says_it_cannot_see_the_fleets(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    arn = sb.emulator.backend.seed_image(
        HUB_ACCOUNT, REGION, "app-base", shared_with={OUTSIDER: (True, False)}
    )

    sb.appstream(REGION).delete_image_permissions(Name="app-base", SharedAccountId=OUTSIDER)
    sb.drain()

    (item,) = _items(sb, arn, "stop_sharing_impact")
    assert item.payload["details"]["fleets"] is None
    assert "not a governed account" in item.payload["details"]["fleet_impact"]
    (message,) = _delivered(slack, "Fleet access removed")
    assert "unknown (not visible from here)" in message


def test_builder_exposure_says_how_long_and_lists_builders_made_meanwhile(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    backend = sb.emulator.backend
    clock = backend.clock
    assert isinstance(clock, ManualClock)  # the world's clock: this test moves it
    arn = backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    backend.seed_image_builder(SPOKE, REGION, "made-before", arn)  # before the grant: not listed
    clock.advance(60)
    sb.appstream(REGION).update_image_permissions(
        Name="app-base",
        SharedAccountId=SPOKE,
        ImagePermissions={"allowFleet": False, "allowImageBuilder": True},
    )
    # Before govbot handles the grant (5 minutes later), the spoke builds from the image.
    clock.advance(120)
    sb.appstream(REGION, user="bob", account=SPOKE).create_image_builder(
        Name="spoke-builder", ImageArn=arn, InstanceType="stream.standard.medium"
    )

    clock.advance(180)
    sb.drain()

    # AppStream state: the builder permission is gone; the builder stays the spoke's.
    listing = sb.appstream(REGION).describe_image_permissions(Name="app-base")
    assert listing["SharedImagePermissionsList"] == []
    builders = sb.appstream(REGION, account=SPOKE).describe_image_builders()["ImageBuilders"]
    assert {b["Name"] for b in builders} == {"made-before", "spoke-builder"}
    (item,) = _items(sb, arn, "violation_remedied")
    (exposure,) = item.payload["details"]["builder_exposure"]
    assert exposure["account_id"] == SPOKE
    assert [b["name"] for b in exposure["builders"]] == ["spoke-builder"]
    assert "held image-builder permission" in exposure["text"]
    assert "(5m 0s)" in exposure["text"]  # grant event to revocation, on the sandbox clock
    assert "stay in its account" in exposure["text"]
    assert item.payload["details"]["granted_at"] is not None  # the grant event was seen
    assert item.severity == "critical"  # no-untrusted-builders: critical by default
    (message,) = _delivered(slack, "Share revoked")
    assert "spoke-builder" in message
    assert "made-before" not in message
    assert "stay in its account" in message
