"""Throttling: a storm over a burst of violating grants, and a remedy that never gets through."""

from __future__ import annotations

import json

from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.sandbox import MAX_RECEIVE_COUNT, Sandbox
from govbot_sandbox.storm import OUTSIDER, grant_builders, image_arn, run_storm


def test_storm_leaves_no_forbidden_permission_and_no_doubled_remedy(sandbox: Sandbox) -> None:
    # The deployed receive count, 50% of every AppStream call throttled (the 100-event run
    # is `make bench`).
    assert sandbox.max_receive_count == MAX_RECEIVE_COUNT == 5
    report = run_storm(sandbox, events=20, throttle_rate=0.5)

    assert report.throttled_calls > 20  # the storm really happened
    assert report.forbidden_left == []
    assert report.doubled == []
    assert report.dead_lettered == 0
    assert report.statuses == {"processed": 20}


def test_remedy_that_never_gets_through_ends_in_the_dlq_received_and_told_once(
    sandbox: Sandbox,
) -> None:
    (event_id,) = grant_builders(sandbox, 1).values()
    sandbox.emulator.faults.set("UpdateImagePermissions", throttle_rate=1.0)

    report = sandbox.drain()

    assert report.failures == MAX_RECEIVE_COUNT  # one failed batch item per receive
    (body,) = sandbox.dead_letters()
    assert json.loads(body)["detail"]["eventID"] == event_id
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.event is not None
    assert bundle.event.status == "received"
    # Every attempt is in the ledger, each a failed remedy with its transient reason.
    assert [a.status for a in bundle.actions] == ["failed"] * MAX_RECEIVE_COUNT
    assert all("ThrottlingException" in (a.error or "") for a in bundle.actions)
    (critical,) = [
        o
        for o in sandbox.ledger.by_image(image_arn("storm-000"))
        if isinstance(o, OutboxItem) and o.severity == "critical"
    ]
    assert critical.payload["shared_account_ids"] == [OUTSIDER]
    assert critical.payload["image_name"] == "storm-000"
    # The share is still there: people were told, and the DLQ alarm rings.
    share = sandbox.emulator.backend.world.images[image_arn("storm-000")].shares[OUTSIDER]
    assert share.allow_image_builder


def test_redriven_event_whose_remedy_failed_is_not_a_duplicate(sandbox: Sandbox) -> None:
    (event_id,) = grant_builders(sandbox, 1).values()
    sandbox.emulator.faults.set("UpdateImagePermissions", throttle_rate=1.0)
    sandbox.drain()
    (body,) = sandbox.dead_letters()
    sandbox.emulator.faults.clear()

    result = sandbox.deliver_raw([body])  # an operator redrives the DLQ

    assert result["batchItemFailures"] == []
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.event is not None
    assert bundle.event.status == "processed"
    assert [a.status for a in bundle.actions][-1] == "succeeded"
    share = sandbox.emulator.backend.world.images[image_arn("storm-000")].shares[OUTSIDER]
    assert not share.allow_image_builder


def test_image_gone_is_a_permanent_error_that_ends_the_event(sandbox: Sandbox) -> None:
    (event_id,) = grant_builders(sandbox, 1).values()
    sandbox.emulator.faults.set("UpdateImagePermissions", error_code="ResourceNotFoundException")

    report = sandbox.drain()

    assert report.failures == 0
    assert sandbox.dead_letters() == []
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.event is not None
    assert bundle.event.status == "processed"
    (action,) = bundle.actions
    assert action.status == "failed"
    assert "vanished" in (action.error or "")
