"""Issue 3, end to end: a person's AppStream call -> CloudTrail -> EventBridge -> SQS ->
enforcer -> AppStream remedy + ledger story, all on the sandbox (moto + emulator)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.sandbox import DEMO_POLICY, HUB_ACCOUNT, MAX_RECEIVE_COUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
TRUSTED = "111111111111"
BOT = "assumed-role/govbot-functions/"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def _arn(name: str) -> str:
    return f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/{name}"


def _share(sb: Sandbox, name: str, account: str, *, fleet: bool, builder: bool) -> str:
    """Alice shares ``name``; returns the CloudTrail eventID of her call."""
    sb.appstream(REGION).update_image_permissions(
        Name=name,
        SharedAccountId=account,
        ImagePermissions={"allowFleet": fleet, "allowImageBuilder": builder},
    )
    envelope = sb.emulator.events.named("UpdateImagePermissions")[-1]
    return str(envelope["detail"]["eventID"])


def _permissions(sb: Sandbox, name: str) -> dict[str, dict[str, bool]]:
    listing = sb.appstream(REGION).describe_image_permissions(Name=name)
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


def _outbox(sb: Sandbox, name: str) -> list[OutboxItem]:
    return [r for r in sb.ledger.by_image(_arn(name)) if isinstance(r, OutboxItem)]


def test_untrusted_builder_loses_builder_keeps_fleet(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    event_id = _share(sandbox, "app-base", OUTSIDER, fleet=True, builder=True)

    sandbox.drain()

    assert _permissions(sandbox, "app-base") == {
        OUTSIDER: {"allowFleet": True, "allowImageBuilder": False}
    }
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.event is not None
    assert bundle.event.status == "processed"
    violation = [d for d in bundle.decisions if d.outcome == "violation"]
    assert [(d.rule_id, d.account_id, d.permission) for d in violation] == [
        ("no-untrusted-builders", OUTSIDER, "image_builder")
    ]
    (action,) = bundle.actions
    assert (action.operation, action.status, action.shared_account_id) == (
        "UpdateImagePermissions",
        "succeeded",
        OUTSIDER,
    )
    (item,) = [o for o in _outbox(sandbox, "app-base") if o.message_kind == "violation_remedied"]
    (change,) = item.payload["details"]["changes"]
    assert change["exposure_window"]["granted_at"] is not None
    assert change["exposure_window"]["seconds"] >= 0
    assert "beyond govbot's reach" in item.payload["details"]["builder_warning"]
    assert item.payload["actor_arn"].endswith(":user/alice")


def test_audit_mode_records_violation_and_changes_nothing(sandbox: Sandbox) -> None:
    sandbox.put_policy(DEMO_POLICY.read_text().replace("\nmode: enforce", "\nmode: audit", 1))
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    event_id = _share(sandbox, "app-base", OUTSIDER, fleet=True, builder=True)

    sandbox.drain()

    assert _permissions(sandbox, "app-base") == {
        OUTSIDER: {"allowFleet": True, "allowImageBuilder": True}
    }
    assert _bot_calls(sandbox) == []
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.actions == ()
    assert {
        (d.rule_id, d.outcome, d.mode) for d in bundle.decisions if d.account_id == OUTSIDER
    } == {("no-untrusted-builders", "violation", "audit")}
    kinds = [o.message_kind for o in _outbox(sandbox, "app-base")]
    assert kinds == ["violation_audit"]


def test_trusted_and_exempted_accounts_are_left_alone_with_reason(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "prod-demo-exempt")
    trusted_event = _share(sandbox, "app-base", TRUSTED, fleet=True, builder=True)
    exempt_event = _share(sandbox, "prod-demo-exempt", OUTSIDER, fleet=False, builder=True)

    sandbox.drain()

    assert _permissions(sandbox, "app-base")[TRUSTED]["allowImageBuilder"] is True
    assert _permissions(sandbox, "prod-demo-exempt")[OUTSIDER]["allowImageBuilder"] is True
    assert _bot_calls(sandbox) == []
    trusted = sandbox.ledger.get_event(trusted_event).decisions
    (allowed,) = [d for d in trusted if d.rule_id == "no-untrusted-builders"]
    assert allowed.outcome == "allowed"
    assert "trusted" in allowed.reason
    exempted = sandbox.ledger.get_event(exempt_event).decisions
    (excused,) = [d for d in exempted if d.rule_id == "no-untrusted-builders"]
    assert excused.outcome == "exempted"
    assert excused.exemption_id == "outsider-builds-demo"


def test_three_deliveries_of_one_event_act_record_and_notify_once(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    event_id = _share(sandbox, "app-base", OUTSIDER, fleet=True, builder=True)
    envelope = json.dumps(sandbox.emulator.events.named("UpdateImagePermissions")[-1])

    sandbox.drain()
    sandbox.deliver_raw([envelope, envelope])
    sandbox.drain()

    assert (
        len([e for e in _bot_calls(sandbox) if e["detail"]["eventName"].endswith("Permissions")])
        == 1
    )
    bundle = sandbox.ledger.get_event(event_id)
    assert len(bundle.actions) == 1
    assert len([d for d in bundle.decisions if d.outcome == "violation"]) == 1
    remedied = [o for o in _outbox(sandbox, "app-base") if o.message_kind == "violation_remedied"]
    assert len(remedied) == 1


def test_grant_removed_before_govbot_read_it_is_still_judged_and_told(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    event_id = _share(sandbox, "app-base", OUTSIDER, fleet=False, builder=True)
    # Alice changes her mind before govbot sees the first event.
    sandbox.appstream(REGION).delete_image_permissions(Name="app-base", SharedAccountId=OUTSIDER)

    sandbox.drain()

    assert _bot_calls(sandbox) == []
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.event is not None
    assert bundle.event.status == "processed"
    assert bundle.actions == ()
    # Nothing to remove, but an outsider held builder permission for a while: people hear.
    (violation,) = [d for d in bundle.decisions if d.outcome == "violation"]
    assert (violation.account_id, violation.permission) == (OUTSIDER, "image_builder")
    assert violation.reason.endswith("since removed")
    assert "held for up to 1 minute" in violation.reason
    kinds = sorted(o.message_kind for o in _outbox(sandbox, "app-base"))
    assert kinds == ["stop_sharing_impact", "violation_remedied"]
    (held,) = [o for o in _outbox(sandbox, "app-base") if o.message_kind == "violation_remedied"]
    assert held.payload["shared_account_ids"] == [OUTSIDER]
    assert held.payload["details"]["held_minutes"] == 1


def test_own_remediation_event_is_never_delivered(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    _share(sandbox, "app-base", OUTSIDER, fleet=True, builder=True)

    report = sandbox.drain()

    (own,) = _bot_calls(sandbox)
    # alice's call only: the hub rules exclude govbot's own principal (routing.py)
    assert report.records == 1
    assert not sandbox.ledger.get_event(own["detail"]["eventID"]).exists


def test_own_call_delivered_anyway_is_recognised_by_the_handler(sandbox: Sandbox) -> None:
    # The second guard: were a rule to let govbot's own call through, the enforcer would
    # record it as ignored and act on nothing.
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    _share(sandbox, "app-base", OUTSIDER, fleet=True, builder=True)
    sandbox.drain()
    (own,) = _bot_calls(sandbox)

    result = sandbox.deliver_raw([json.dumps(own)])

    assert result["batchItemFailures"] == []
    own_record = sandbox.ledger.get_event(own["detail"]["eventID"])
    assert own_record.event is not None
    assert own_record.event.status == "ignored"
    assert "own remediation" in (own_record.event.note or own_record.event.reason or "")
    assert own_record.actions == ()
    assert len(_bot_calls(sandbox)) == 1


def test_malformed_event_in_batch_of_ten_is_rejected_others_handled(sandbox: Sandbox) -> None:
    names = [f"app-{i}" for i in range(9)]
    for name in names:
        sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, name)
        _share(sandbox, name, OUTSIDER, fleet=True, builder=True)
    envelopes = [json.dumps(e) for e in sandbox.emulator.events.named("UpdateImagePermissions")]
    batch = [
        *envelopes[:4],
        '{"detail-type": "AWS API Call via CloudTrail", "detail": ',
        *envelopes[4:],
    ]

    result = sandbox.deliver_raw(batch)

    assert result["batchItemFailures"] == []
    for name in names:
        assert _permissions(sandbox, name)[OUTSIDER]["allowImageBuilder"] is False
    rejected = sandbox.ledger.events_by_status("rejected")
    assert len(rejected) == 1
    assert "JSON" in (rejected[0].reason or "")
    assert '"detail-type"' in rejected[0].raw
    handled = [sandbox.ledger.get_event(json.loads(e)["detail"]["eventID"]) for e in envelopes]
    assert all(b.event is not None and b.event.status == "processed" for b in handled)


def test_event_in_another_governed_region_is_forwarded_and_remedied(sandbox: Sandbox) -> None:
    region = "eu-west-1"
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, region, "app-eu")
    client = sandbox.appstream(region)
    client.update_image_permissions(
        Name="app-eu",
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )

    sandbox.drain()

    (share,) = client.describe_image_permissions(Name="app-eu")["SharedImagePermissionsList"]
    assert share["imagePermissions"] == {"allowFleet": True, "allowImageBuilder": False}
    (own,) = _bot_calls(sandbox)
    assert own["region"] == region


def test_copy_and_delete_each_leave_a_ledger_story(sandbox: Sandbox) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "old-image")
    client = sandbox.appstream(REGION)
    client.copy_image(
        SourceImageName="app-base",
        DestinationImageName="app-base-eu",
        DestinationRegion="eu-west-1",
    )
    client.delete_image(Name="old-image")
    copy_id = sandbox.emulator.events.named("CopyImage")[-1]["detail"]["eventID"]
    delete_id = sandbox.emulator.events.named("DeleteImage")[-1]["detail"]["eventID"]

    sandbox.drain()

    copied = sandbox.ledger.get_event(copy_id).event
    assert copied is not None
    assert copied.status == "processed"
    assert "copies neither tags nor sharing" in (copied.note or "")
    assert "eu-west-1" in (copied.note or "")
    deleted = sandbox.ledger.get_event(delete_id).event
    assert deleted is not None
    assert deleted.status == "processed"
    assert "old-image deleted" in (deleted.note or "")
    assert _bot_calls(sandbox) == []


def test_event_failing_every_attempt_is_dead_lettered_then_handled_when_redriven(
    sandbox: Sandbox,
) -> None:
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "app-base")
    event_id = _share(sandbox, "app-base", OUTSIDER, fleet=True, builder=True)
    # AppStream keeps refusing to read the image's share list: every attempt fails.
    sandbox.emulator.faults.set(
        "DescribeImagePermissions", error_code="ResourceNotAvailableException"
    )

    report = sandbox.drain()

    assert report.failures == MAX_RECEIVE_COUNT
    (dead,) = sandbox.dead_letters()
    assert json.loads(dead)["detail"]["eventID"] == event_id
    bundle = sandbox.ledger.get_event(event_id)
    assert bundle.event is not None
    assert bundle.event.status == "received"  # recorded, not yet decided: nothing lost

    sandbox.emulator.faults.clear()
    assert _permissions(sandbox, "app-base")[OUTSIDER]["allowImageBuilder"] is True
    result = sandbox.deliver_raw([dead])  # the operator redrives the DLQ

    assert result["batchItemFailures"] == []
    assert _permissions(sandbox, "app-base")[OUTSIDER]["allowImageBuilder"] is False
    redriven = sandbox.ledger.get_event(event_id).event
    assert redriven is not None
    assert redriven.status == "processed"
