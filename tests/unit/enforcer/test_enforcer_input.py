"""Inputs the enforcer refuses, and deferred work requests from Slack buttons."""

from __future__ import annotations

import json

import pytest

from govbot.enforcer.work import SIGNATURE_FIELD, signed_envelope
from govbot.ledger.keys import rejected_event_id
from govbot.policy.exemptions import Exemption
from govbot.policy.selectors import ImageSelector
from tests.fakes import T0
from tests.unit.enforcer.builders import (
    BOT,
    OUTSIDER,
    REGION,
    TRUSTED,
    WORK_KEY,
    perms,
    ref,
    share_event,
    work,
    world,
)


def test_unparseable_input_is_recorded_rejected_with_an_outbox_item() -> None:
    w = world()
    body = '{"detail-type": "AWS API Call via CloudTrail", "source": "aws.appstream"'

    result = w.enforcer.handle(body)

    assert result.status == "rejected"
    assert result.event_id == rejected_event_id(body)
    recorded = w.ledger.events[result.event_id]
    assert (recorded.status, recorded.raw) == ("rejected", body)
    assert recorded.reason == result.note
    assert result.note
    (item,) = w.ledger.outbox_of("event_rejected")
    assert item.payload["details"] == {
        "reason": result.note,
        "ledger_id": result.event_id,
        "event_name": None,
        "event_source": None,
        "problem_count": 1,
    }
    assert w.appstream.describes == 0


def test_event_from_an_ungoverned_account_is_rejected_and_not_acted_on() -> None:
    w = world()
    w.appstream.seed(ref("app-base"), {OUTSIDER: perms(builder=True)})
    event = share_event("app-base", OUTSIDER, fleet=False, builder=True)
    event["account"] = event["detail"]["recipientAccountId"] = "555555555555"

    result = w.enforcer.handle(event)

    assert result.status == "rejected"
    assert "555555555555" in result.note
    assert w.appstream.write_calls() == []
    recorded = w.ledger.events[result.event_id]
    assert (recorded.event_name, recorded.event_source) == (
        "UpdateImagePermissions",
        "appstream.amazonaws.com",
    )
    assert (recorded.account_id, recorded.region) == ("555555555555", REGION)
    (item,) = w.ledger.outbox_of("event_rejected")
    assert item.payload["summary"].startswith(
        "govbot rejected UpdateImagePermissions (555555555555"
    )
    assert item.payload["details"]["event_name"] == "UpdateImagePermissions"


def test_an_ungoverned_operation_is_ignored_quietly() -> None:
    w = world()
    event = share_event("app-base", OUTSIDER, fleet=False, builder=True)
    event["detail"]["eventName"] = "AssociateFleet"
    event["detail"]["requestParameters"] = {"fleetName": "f", "stackName": "s"}

    result = w.enforcer.handle(event)

    assert result.status == "ignored"
    assert "'AssociateFleet' is not an operation govbot governs" in result.note
    recorded = w.ledger.events[result.event_id]
    assert (recorded.status, recorded.event_name, recorded.reason) == (
        "ignored",
        "AssociateFleet",
        result.note,
    )
    assert w.ledger.outbox == {}  # nobody is alerted
    assert w.appstream.write_calls() == []


def test_reapply_revocation_re_evaluates_and_remedies() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})

    result = w.enforcer.handle(work("ReapplyRevocation", image.arn, OUTSIDER))

    assert result.status == "processed"
    assert result.event_id.startswith("WORK-ReapplyRevocation-")
    assert w.appstream.shares(image) == {OUTSIDER: perms(fleet=True)}
    recorded = w.ledger.events[result.event_id]
    assert (recorded.event_name, recorded.actor_arn) == (
        "ReapplyRevocation",
        "slack:user/U0APPROVER",
    )
    (item,) = w.ledger.outbox_of("violation_remedied")
    (change,) = item.payload["details"]["changes"]
    assert change["exposure_window"]["granted_at"] is None  # the work is not the grant


def test_the_same_work_request_twice_acts_once() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(builder=True)})
    body = work("ReapplyRevocation", image.arn, OUTSIDER)

    first = w.enforcer.handle(body)
    second = w.enforcer.handle(body)

    assert (first.status, second.status) == ("processed", "duplicate")
    assert len(w.appstream.write_calls()) == 1


def _builder_exemption() -> Exemption:
    return Exemption(
        id="slack-granted",
        images=ImageSelector(names=("app-base",)),
        account=OUTSIDER,
        permission="image_builder",
        reason="vendor build",
        approver="U0APPROVER",
        expires=T0.replace(year=2027),
    )


def test_restore_without_an_exemption_in_force_is_refused() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True)})

    result = w.enforcer.handle(
        work("RestorePermission", image.arn, OUTSIDER, permission="image_builder")
    )

    assert result.status == "ignored"
    assert "restore refused, not exempted" in result.note
    assert w.appstream.write_calls() == []
    assert w.appstream.shares(image) == {OUTSIDER: perms(fleet=True)}


def test_restore_permission_re_adds_exactly_the_requested_permission() -> None:
    w = world(exemptions=(_builder_exemption(),))
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True), TRUSTED: perms(fleet=True)})

    result = w.enforcer.handle(
        work("RestorePermission", image.arn, OUTSIDER, permission="image_builder")
    )

    assert result.status == "processed"
    assert w.appstream.shares(image) == {
        OUTSIDER: perms(fleet=True, builder=True),
        TRUSTED: perms(fleet=True),
    }
    (call,) = w.appstream.write_calls()
    assert (call.operation, call.account_id) == ("UpdateImagePermissions", OUTSIDER)
    (action,) = w.ledger.get_event(result.event_id).actions
    assert (action.status, action.actor_arn) == ("succeeded", BOT)
    assert action.request["ImagePermissions"] == {"allowFleet": True, "allowImageBuilder": True}
    # Restoring is not a policy decision: no evaluation, no violation message.
    assert w.ledger.get_event(result.event_id).decisions == ()
    assert w.ledger.outbox == {}


def test_restore_of_a_permission_already_held_makes_no_call() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(builder=True)})

    result = w.enforcer.handle(
        work("RestorePermission", image.arn, OUTSIDER, permission="image_builder")
    )

    assert result.status == "processed"
    assert "already holds image_builder" in result.note
    assert w.appstream.write_calls() == []


def test_restored_permission_under_exemption_survives_the_next_event() -> None:
    exemption = Exemption(
        id="slack-granted",
        images=ImageSelector(names=("app-base",)),
        account=OUTSIDER,
        permission="image_builder",
        reason="vendor build",
        approver="U0APPROVER",
        expires=T0.replace(year=2027),
    )
    w = world(exemptions=(exemption,))
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True)})
    w.enforcer.handle(work("RestorePermission", image.arn, OUTSIDER, permission="image_builder"))

    result = w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=True, builder=True))

    assert result.status == "processed"
    assert w.appstream.shares(image)[OUTSIDER] == perms(fleet=True, builder=True)
    (decision,) = [
        d for d in w.ledger.get_event("ev-1").decisions if d.permission == "image_builder"
    ]
    assert (decision.outcome, decision.exemption_id) == ("exempted", "slack-granted")


def test_malformed_work_request_is_rejected_with_the_reason() -> None:
    w = world()
    body = json.dumps(
        signed_envelope({"operation": "DeleteEverything", "image_arn": "x"}, WORK_KEY, T0)
    )

    result = w.enforcer.handle(body)

    assert result.status == "rejected"
    assert result.note.startswith("malformed work request")
    assert "DeleteEverything" in result.note
    assert w.ledger.events[result.event_id].status == "rejected"
    assert len(w.ledger.outbox_of("event_rejected")) == 1
    assert w.appstream.describes == 0


def test_work_request_missing_the_image_is_rejected_naming_the_field() -> None:
    w = world()

    result = w.enforcer.handle(
        json.dumps(signed_envelope({"operation": "ReapplyRevocation"}, WORK_KEY, T0))
    )

    assert result.status == "rejected"
    assert "image_arn" in result.note


def test_work_request_outside_governed_accounts_is_rejected() -> None:
    w = world()
    foreign = ref("app-base", account="555555555555")
    w.appstream.seed(foreign, {OUTSIDER: perms(builder=True)})

    result = w.enforcer.handle(work("ReapplyRevocation", foreign.arn, OUTSIDER))

    assert result.status == "rejected"
    assert foreign.arn in result.note
    assert "outside the governed" in result.note
    assert w.appstream.write_calls() == []
    assert w.appstream.describes == 0
    assert w.ledger.events[result.event_id].status == "rejected"
    assert len(w.ledger.outbox_of("event_rejected")) == 1


def test_work_request_outside_governed_regions_is_rejected() -> None:
    w = world()
    elsewhere = ref("app-base", region="ap-south-1")
    assert elsewhere.region != REGION

    result = w.enforcer.handle(work("RestorePermission", elsewhere.arn, OUTSIDER))

    assert result.status == "rejected"
    assert "outside the governed" in result.note


def _restore(**signature: object) -> dict[str, object]:
    """A RestorePermission envelope, signed, with signature fields replaced by ``signature``."""
    envelope = signed_envelope(
        {
            "operation": "RestorePermission",
            "image_arn": ref("app-base").arn,
            "account_id": OUTSIDER,
            "permission": "*",
            "requested_by": "slack:user/U0APPROVER",
        },
        WORK_KEY,
        T0,
    )
    envelope[SIGNATURE_FIELD] = {**envelope[SIGNATURE_FIELD], **signature}
    return envelope


def _unsigned() -> dict[str, object]:
    envelope = _restore()
    del envelope[SIGNATURE_FIELD]
    return envelope


def _other_detail() -> dict[str, object]:
    envelope = _restore()
    envelope["detail"] = {**envelope["detail"], "account_id": "888888888888"}  # type: ignore[dict-item]
    return envelope


@pytest.mark.parametrize(
    ("envelope", "why"),
    [
        (_unsigned(), "unsigned work request"),
        (_restore(hmac_sha256="0" * 64), "signature does not match"),
        (_other_detail(), "signature does not match"),
        (_restore(version=2), "unknown work signature format"),
        (_restore(issued_at="2026-11-25T15:59:00.000Z"), "signature does not match"),
    ],
)
def test_work_that_govbot_did_not_sign_is_refused_and_recorded(
    envelope: dict[str, object], why: str
) -> None:
    w = world()
    w.appstream.seed(ref("app-base"), {})

    result = w.enforcer.handle(json.dumps(envelope))

    assert result.status == "rejected"
    assert why in result.note
    assert w.ledger.events[result.event_id].status == "rejected"
    assert w.appstream.writes() == []  # no share created
    assert len(w.ledger.outbox_of("event_rejected")) == 1
    w.enforcer.handle(json.dumps(envelope))  # sent again: recorded, announced once
    assert len(w.ledger.outbox_of("event_rejected")) == 1


def test_signed_work_expires() -> None:
    w = world()
    w.appstream.seed(ref("app-base"), {})
    w.clock.advance(hours=25)

    result = w.enforcer.handle(json.dumps(_restore()))

    assert result.status == "rejected"
    assert "expired" in result.note
    assert w.appstream.writes() == []
