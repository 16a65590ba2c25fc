"""The drift sweep end to end: shares govbot never heard about (seeded without events) are
found by the enforcer's scheduled run on the sandbox, remedied or reported, recorded, and
summarised in one ``drift_found`` notification; replays change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from govbot.enforcer.sweep import ScheduleTick
from govbot.ledger.records.events import EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import DEMO_POLICY, HUB_ACCOUNT, Sandbox

EAST, WEST = "us-east-1", "us-west-2"
OUTSIDER = "999999999999"
TRUSTED = "111111111111"
BOT = "assumed-role/govbot-functions/"
RUN_ID = "6f1c2a52-0000-4000-8000-00000000d71f"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(regions=(EAST, WEST)) as sb:
        yield sb


def _seed_missed_shares(sb: Sandbox) -> None:
    """Shares made while govbot was not listening: seed_image emits no CloudTrail event."""
    backend = sb.emulator.backend
    backend.seed_image(HUB_ACCOUNT, EAST, "app-base", shared_with={OUTSIDER: (True, True)})
    backend.seed_image(HUB_ACCOUNT, EAST, "app-ok", shared_with={TRUSTED: (True, True)})
    backend.seed_image(
        HUB_ACCOUNT,
        WEST,
        "vault",
        tags={"classification": "confidential"},
        shared_with={OUTSIDER: (True, False)},
    )
    backend.seed_image(HUB_ACCOUNT, WEST, "plain")


def _permissions(sb: Sandbox, region: str, name: str) -> dict[str, dict[str, bool]]:
    listing = sb.appstream(region).describe_image_permissions(Name=name)
    return {
        p["sharedAccountId"]: p["imagePermissions"] for p in listing["SharedImagePermissionsList"]
    }


def _bot_calls(sb: Sandbox) -> list[dict[str, Any]]:
    # govbot's writes: its Describe/List calls are CloudTrail records too (readOnly true).
    return [
        e
        for e in sb.emulator.events.events
        if BOT in e["detail"]["userIdentity"]["arn"] and not e["detail"]["readOnly"]
    ]


def _drift_items(sb: Sandbox) -> list[OutboxItem]:
    pending = [*sb.ledger.outbox_by_status("pending"), *sb.ledger.outbox_by_status("delivered")]
    return [o for o in pending if o.message_kind == "drift_found"]


def _image_event(sb: Sandbox, region: str, name: str) -> str:
    tick = ScheduleTick(RUN_ID, sb.emulator.backend.clock.now(), "x", HUB_ACCOUNT, EAST, "{}")
    return tick.image_event_id(f"arn:aws:appstream:{region}:{HUB_ACCOUNT}:image/{name}")


def test_sweep_remedies_missed_shares_in_two_regions(sandbox: Sandbox) -> None:
    _seed_missed_shares(sandbox)
    assert sandbox.emulator.events.named("UpdateImagePermissions") == []

    report = sandbox.drift_sweep(event_id=RUN_ID)

    assert report["status"] == "processed"
    assert sorted(report["swept"]) == [f"{HUB_ACCOUNT}/{EAST}", f"{HUB_ACCOUNT}/{WEST}"]
    assert report["counts"]["drifted"] == 2
    assert report["counts"]["remedied"] == 2
    assert report["errors"] == []
    assert _permissions(sandbox, EAST, "app-base") == {
        OUTSIDER: {"allowFleet": True, "allowImageBuilder": False}
    }
    assert _permissions(sandbox, WEST, "vault") == {}
    assert _permissions(sandbox, EAST, "app-ok")[TRUSTED]["allowImageBuilder"] is True

    bundle = sandbox.ledger.get_event(_image_event(sandbox, EAST, "app-base"))
    assert bundle.event is not None
    assert (bundle.event.event_name, bundle.event.status) == ("DriftSweep", "processed")
    assert bundle.event.actor_arn is not None
    assert bundle.event.actor_arn.endswith(":rule/govbot-drift-sweep")
    violations = [(d.rule_id, d.account_id) for d in bundle.decisions if d.outcome == "violation"]
    assert violations == [("no-untrusted-builders", OUTSIDER)]
    (action,) = bundle.actions
    assert (action.operation, action.status) == ("UpdateImagePermissions", "succeeded")
    vault = sandbox.ledger.get_event(_image_event(sandbox, WEST, "vault"))
    assert [a.operation for a in vault.actions] == ["DeleteImagePermissions"]
    # Compliant images leave no per-image record.
    assert not sandbox.ledger.get_event(_image_event(sandbox, EAST, "app-ok")).exists

    (drift,) = _drift_items(sandbox)
    details = drift.payload["details"]
    assert drift.severity == "critical"  # the builder rule's default severity
    assert {line["account_id"] for line in details["drift"]} == {OUTSIDER}
    assert details["counts"]["images"] == 4
    remedied = [
        o
        for o in sandbox.ledger.outbox_by_status("pending")
        if o.message_kind == "violation_remedied"
    ]
    assert {o.payload["image_name"] for o in remedied} == {"app-base", "vault"}


def test_replayed_run_and_next_run_change_nothing(sandbox: Sandbox) -> None:
    _seed_missed_shares(sandbox)
    sandbox.drift_sweep(event_id=RUN_ID)
    calls = len(_bot_calls(sandbox))
    outbox = len(sandbox.ledger.outbox_by_status("pending"))

    replay = sandbox.drift_sweep(event_id=RUN_ID)
    later = sandbox.drift_sweep()

    assert replay["status"] == "duplicate"
    assert later["status"] == "processed"
    assert later["counts"]["drifted"] == 0
    assert later["counts"]["compliant"] == 4
    assert len(_bot_calls(sandbox)) == calls
    # The later run is clean: only its summary event, no notification.
    assert len(sandbox.ledger.outbox_by_status("pending")) == outbox
    summaries = [
        e
        for e in sandbox.ledger.events_by_status("received")
        if isinstance(e, EventRecord) and e.event_name == "DriftSweep"
    ]
    assert summaries == []


def test_audit_mode_reports_without_changing(sandbox: Sandbox) -> None:
    sandbox.put_policy(DEMO_POLICY.read_text().replace("\nmode: enforce", "\nmode: audit", 1))
    _seed_missed_shares(sandbox)

    report = sandbox.drift_sweep(event_id=RUN_ID)

    assert report["counts"]["remedied"] == 0
    assert report["counts"]["left"] >= 2
    assert _bot_calls(sandbox) == []
    assert _permissions(sandbox, EAST, "app-base")[OUTSIDER]["allowImageBuilder"] is True
    assert _permissions(sandbox, WEST, "vault") == {
        OUTSIDER: {"allowFleet": True, "allowImageBuilder": False}
    }
    bundle = sandbox.ledger.get_event(_image_event(sandbox, EAST, "app-base"))
    assert bundle.actions == ()
    assert ("no-untrusted-builders", "violation", "audit") in {
        (d.rule_id, d.outcome, d.mode) for d in bundle.decisions
    }
    (drift,) = _drift_items(sandbox)
    assert drift.severity == "critical"  # highest rule reported: the builder rule
    assert "nothing changed" in drift.payload["details"]["action"]


def test_drift_notification_reaches_slack_through_the_notifier() -> None:
    with FakeSlack() as slack, Sandbox(regions=(EAST, WEST), slack=slack) as sandbox:
        _seed_missed_shares(sandbox)
        sandbox.drift_sweep(event_id=RUN_ID)

        sandbox.drain()

        (drift,) = _drift_items(sandbox)
        stored = sandbox.ledger.get_outbox(drift.outbox_id)
        assert stored is not None
        assert stored.status == "delivered"
        texts = [m["text"] for m in slack.delivered("default")]
    (drift_text,) = [t for t in texts if "Drift found" in t]
    assert "2 image(s)" in drift_text


def test_a_redriven_sweep_message_on_the_events_queue_runs_the_sweep_once(
    sandbox: Sandbox,
) -> None:
    """The schedule's DLQ is the events DLQ; a redrive must not be rejected as an event."""
    _seed_missed_shares(sandbox)
    report = sandbox.drift_sweep(event_id=RUN_ID)
    calls = len(_bot_calls(sandbox))
    tick = ScheduleTick(RUN_ID, sandbox.emulator.backend.clock.now(), "x", HUB_ACCOUNT, EAST, "")
    body = json.dumps(
        {"id": RUN_ID, "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    )

    result = sandbox.deliver_raw([body])

    assert result["batchItemFailures"] == []
    assert report["run_event_id"] == tick.run_event_id
    assert len(_bot_calls(sandbox)) == calls
    assert sandbox.ledger.events_by_status("rejected") == []
