"""Inbound shares ("Shared with me", issue 11) on the sandbox: a governed account's fleet
or image builder on an image owned by an account outside the trusted set is reported
(once), never stopped; a trusted owner's image is left alone; the drift sweep finds a
builder no event told govbot about. Checked on AppStream state, the ledger and Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from govbot.ledger.records.events import DecisionRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.observability import metrics
from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
TRUSTED = "111111111111"  # trusted_accounts in policies/demo.yaml
VENDOR = "999999999999"  # outside the trusted set
RULE = "trusted-image-owners"
TITLE = "Image from an untrusted owner in use"
VENDOR_IMAGE = f"arn:aws:appstream:{REGION}:{VENDOR}:image/vendor-app"
TRUSTED_IMAGE = f"arn:aws:appstream:{REGION}:{TRUSTED}:image/shared-base"


@pytest.fixture
def world() -> Iterator[tuple[Sandbox, FakeSlack]]:
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with FakeSlack() as slack, Sandbox(regions=(REGION,), slack=slack, clock=clock) as sb:
        backend = sb.emulator.backend
        backend.seed_image(VENDOR, REGION, "vendor-app", shared_with={HUB_ACCOUNT: (True, True)})
        backend.seed_image(TRUSTED, REGION, "shared-base", shared_with={HUB_ACCOUNT: (True, True)})
        yield sb, slack


def _sweep(sb: Sandbox) -> dict[str, Any]:
    report = sb.drift_sweep()
    metrics.clear_metrics()  # as Lambda does after each invocation (see test_e2e_announce)
    sb.drain()
    return report


def _outbox(sb: Sandbox, arn: str, kind: str) -> list[OutboxItem]:
    return [
        r for r in sb.ledger.by_image(arn) if isinstance(r, OutboxItem) and r.message_kind == kind
    ]


def _decisions(sb: Sandbox, arn: str) -> list[DecisionRecord]:
    return [r for r in sb.ledger.by_image(arn) if isinstance(r, DecisionRecord)]


def _messages(slack: FakeSlack, title: str) -> list[str]:
    return [json.dumps(m) for m in slack.delivered("default") if title in str(m["text"])]


def _create_fleet(sb: Sandbox, name: str, image_arn: str) -> None:
    sb.appstream(REGION).create_fleet(
        Name=name,
        ImageArn=image_arn,
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 2},
    )
    sb.drain()


def test_a_fleet_created_on_an_untrusted_owners_image_is_reported_once_never_stopped(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    _create_fleet(sb, "call-center", VENDOR_IMAGE)

    # AppStream: the fleet is there, on the vendor's image, capacity untouched.
    (fleet,) = sb.appstream(REGION).describe_fleets(Names=["call-center"])["Fleets"]
    assert fleet["ImageArn"] == VENDOR_IMAGE
    assert fleet["ComputeCapacityStatus"]["Desired"] == 2
    # Ledger: the CreateFleet event, a report-only violation on the vendor's image.
    (decision,) = _decisions(sb, VENDOR_IMAGE)
    assert (decision.rule_id, decision.outcome) == (RULE, "violation")
    assert (decision.account_id, decision.permission) == (HUB_ACCOUNT, "fleet")
    assert "fleet call-center runs image vendor-app" in decision.reason
    assert f"owned by account {VENDOR}" in decision.reason
    event = sb.ledger.get_event(decision.event_id)
    assert event.event is not None
    assert (event.event.event_name, event.event.status) == ("CreateFleet", "processed")
    assert event.actions == ()  # nothing was changed
    (item,) = _outbox(sb, VENDOR_IMAGE, "inbound_image_used")
    assert item.severity == "high"  # the rule type's default severity, from the policy
    details = item.payload["details"]
    assert details["owner_account_id"] == VENDOR
    assert [(u["kind"], u["name"]) for u in details["uses"]] == [("fleet", "call-center")]
    assert "never stops" in details["action"]
    # Slack: one message naming the fleet, the image and who owns it.
    (message,) = _messages(slack, TITLE)
    assert "call-center" in message
    assert VENDOR_IMAGE in message
    assert VENDOR in message

    # The same standing finding seen again (an UpdateFleet to the same image): recorded,
    # not announced again.
    sb.appstream(REGION).update_fleet(Name="call-center", ImageArn=VENDOR_IMAGE)
    sb.drain()
    assert len(_decisions(sb, VENDOR_IMAGE)) == 2
    assert len(_outbox(sb, VENDOR_IMAGE, "inbound_image_used")) == 1
    assert len(_messages(slack, TITLE)) == 1


def test_a_fleet_on_a_trusted_owners_image_is_allowed_quietly(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    _create_fleet(sb, "partner-fleet", TRUSTED_IMAGE)

    (fleet,) = sb.appstream(REGION).describe_fleets(Names=["partner-fleet"])["Fleets"]
    assert fleet["ImageArn"] == TRUSTED_IMAGE
    (decision,) = _decisions(sb, TRUSTED_IMAGE)
    assert (decision.rule_id, decision.outcome) == (RULE, "allowed")
    assert "listed in trusted_accounts" in decision.reason
    assert _outbox(sb, TRUSTED_IMAGE, "inbound_image_used") == []
    assert _messages(slack, TITLE) == []
    assert slack.delivered("default") == []


def test_the_sweep_finds_a_builder_on_an_untrusted_shared_image_and_its_removal(
    world: tuple[Sandbox, FakeSlack],
) -> None:
    sb, slack = world
    backend = sb.emulator.backend
    # Made before govbot was deployed: no event ever told govbot about it.
    builder_arn = backend.seed_image_builder(HUB_ACCOUNT, REGION, "old-builder", VENDOR_IMAGE)

    first = _sweep(sb)

    (builders,) = [sb.appstream(REGION).describe_image_builders()["ImageBuilders"]]
    assert [(b["Name"], b["ImageArn"]) for b in builders] == [("old-builder", VENDOR_IMAGE)]
    (decision,) = _decisions(sb, VENDOR_IMAGE)
    assert decision.event_id.startswith("DRIFT-")
    assert (decision.outcome, decision.permission) == ("violation", "image_builder")
    assert "image builder old-builder runs image vendor-app" in decision.reason
    (item,) = _outbox(sb, VENDOR_IMAGE, "inbound_image_used")
    assert [(u["kind"], u["name"]) for u in item.payload["details"]["uses"]] == [
        ("image_builder", "old-builder")
    ]
    # Two shared images seen (the vendor's, in use; the trusted one, unused): one finding.
    assert first["counts"]["drifted"] == 1
    assert VENDOR_IMAGE in first["drifted"]
    (message,) = _messages(slack, TITLE)
    assert "old-builder" in message
    assert VENDOR in message

    # The next sweep: still standing, counted as such, not announced again.
    second = _sweep(sb)
    assert second["counts"]["standing"] == 1
    assert second["counts"]["drifted"] == 0
    assert len(_messages(slack, TITLE)) == 1

    # The builder is deleted (outside govbot): the next sweep announces the resolution.
    del backend.world.builders[builder_arn]
    _sweep(sb)
    (resolved,) = _outbox(sb, VENDOR_IMAGE, "violation_resolved")
    assert "old-builder" in json.dumps(resolved.payload)
    assert len(_messages(slack, "Violation resolved")) == 1
    assert sb.ledger.open_announcements() == []


def test_two_governed_accounts_on_one_image_are_announced_and_resolved_apart() -> None:
    spoke = "222222222222"
    clock = ManualClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with (
        FakeSlack() as slack,
        Sandbox(regions=(REGION,), accounts=(HUB_ACCOUNT, spoke), slack=slack, clock=clock) as sb,
    ):
        backend = sb.emulator.backend
        shared = {HUB_ACCOUNT: (True, False), spoke: (True, False)}
        backend.seed_image(VENDOR, REGION, "vendor-app", shared_with=shared)
        backend.seed_fleet(HUB_ACCOUNT, REGION, "hub-fleet", VENDOR_IMAGE)
        spoke_fleet = backend.seed_fleet(spoke, REGION, "spoke-fleet", VENDOR_IMAGE)

        _sweep(sb)
        items = _outbox(sb, VENDOR_IMAGE, "inbound_image_used")
        assert sorted(i.payload["shared_account_ids"][0] for i in items) == [HUB_ACCOUNT, spoke]
        assert len(_messages(slack, TITLE)) == 2
        viewers = {s.viewer_account_id for s in sb.ledger.open_announcements()}
        assert viewers == {HUB_ACCOUNT, spoke}

        _sweep(sb)  # both still standing: nothing new, neither undoes the other
        assert len(_messages(slack, TITLE)) == 2
        assert _outbox(sb, VENDOR_IMAGE, "violation_resolved") == []

        del backend.world.fleets[spoke_fleet]
        _sweep(sb)
        (resolved,) = _outbox(sb, VENDOR_IMAGE, "violation_resolved")
        assert resolved.payload["shared_account_ids"] == [spoke]
        (still,) = sb.ledger.open_announcements()
        assert still.viewer_account_id == HUB_ACCOUNT
