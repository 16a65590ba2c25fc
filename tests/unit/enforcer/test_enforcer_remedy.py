"""The enforcer on CloudTrail events: minimal remedies, audit mode, own calls, failures."""

from __future__ import annotations

from govbot.enforcer.outcomes import BUILDER_WARNING, FLEET_IMPACT
from govbot.gateways.appstream import LimitExceeded
from govbot.policy.loader import parse_policy
from tests.unit.enforcer.builders import (
    BOT,
    OUTSIDER,
    PARTNER,
    TRUSTED,
    envelope,
    perms,
    ref,
    share_event,
    world,
)


def test_forbidden_builder_is_removed_and_fleet_kept_with_update() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})

    result = w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=True, builder=True))

    assert result.status == "processed"
    assert w.appstream.shares(image) == {OUTSIDER: perms(fleet=True)}
    (call,) = w.appstream.write_calls()
    assert (call.operation, call.account_id, call.permissions) == (
        "UpdateImagePermissions",
        OUTSIDER,
        perms(fleet=True),
    )
    (action,) = w.ledger.get_event("ev-1").actions
    assert (action.operation, action.status, action.actor_arn) == (
        "UpdateImagePermissions",
        "succeeded",
        BOT,
    )
    assert action.request["ImagePermissions"] == {"allowFleet": True, "allowImageBuilder": False}
    violations = [d for d in w.ledger.get_event("ev-1").decisions if d.outcome == "violation"]
    assert [(d.rule_id, d.account_id, d.permission, d.mode) for d in violations] == [
        ("no-untrusted-builders", OUTSIDER, "image_builder", "enforce")
    ]
    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.severity == "critical"  # no-untrusted-builders: its default severity
    assert item.payload["details"]["builder_warning"] == BUILDER_WARNING
    assert item.payload["details"]["fleet_impact"] is None
    assert w.ledger.events["ev-1"].status == "processed"


def test_share_is_deleted_when_no_permission_remains_allowed() -> None:
    w = world()
    image = ref("prod-app")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True), PARTNER: perms(True)})

    w.enforcer.handle(share_event("prod-app", OUTSIDER, fleet=True, builder=True))

    assert w.appstream.shares(image) == {PARTNER: perms(fleet=True)}
    assert [(c.operation, c.account_id) for c in w.appstream.write_calls()] == [
        ("DeleteImagePermissions", OUTSIDER)
    ]
    (action,) = w.ledger.get_event("ev-1").actions
    assert action.operation == "DeleteImagePermissions"
    assert "ImagePermissions" not in action.request
    assert set(action.request["rule_ids"]) == {"no-untrusted-builders", "prod-fleet-consumers"}
    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.payload["details"]["fleet_impact"] == FLEET_IMPACT
    assert {(v["account_id"], v["permission"]) for v in item.payload["details"]["violations"]} == {
        (OUTSIDER, "image_builder"),
        (OUTSIDER, "fleet"),
    }


def test_compliant_share_changes_nothing_and_says_so() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {TRUSTED: perms(fleet=True, builder=True)})

    result = w.enforcer.handle(share_event("app-base", TRUSTED, fleet=True, builder=True))

    assert result.status == "processed"
    assert result.note == "compliant: nothing to remedy"
    assert w.appstream.write_calls() == []
    assert w.ledger.outbox == {}
    assert {d.outcome for d in w.ledger.get_event("ev-1").decisions} == {"allowed"}


def test_audit_mode_records_the_violation_and_changes_nothing() -> None:
    w = world("audit")
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})

    result = w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=True, builder=True))

    assert result.status == "processed"
    assert w.appstream.write_calls() == []
    assert w.appstream.shares(image) == {OUTSIDER: perms(fleet=True, builder=True)}
    assert w.ledger.get_event("ev-1").actions == ()
    (decision,) = [d for d in w.ledger.get_event("ev-1").decisions if d.outcome == "violation"]
    assert decision.mode == "audit"
    assert [o.message_kind for o in w.ledger.outbox.values()] == ["violation_audit"]
    (item,) = w.ledger.outbox_of("violation_audit")
    assert item.payload["details"]["violations"][0]["account_id"] == OUTSIDER


def test_own_remediation_call_is_recognised_by_pattern_and_not_evaluated() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(builder=True)})

    result = w.enforcer.handle(
        share_event("app-base", OUTSIDER, fleet=False, builder=True, actor=BOT)
    )

    assert result.status == "ignored"
    assert "own remediation" in result.note
    assert w.appstream.describes == 0
    assert w.appstream.write_calls() == []
    assert w.ledger.events["ev-1"].status == "ignored"


def test_a_lookalike_role_is_not_taken_for_govbot() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(builder=True)})
    lookalike = "arn:aws:sts::123456789012:assumed-role/govbot-remediation-admin/mallory"

    result = w.enforcer.handle(
        share_event("app-base", OUTSIDER, fleet=False, builder=True, actor=lookalike)
    )

    assert result.status == "processed"
    assert [c.operation for c in w.appstream.write_calls()] == ["DeleteImagePermissions"]


def test_without_self_principals_govbot_own_event_is_evaluated_again() -> None:
    w = world(self_principals=())
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True)})

    result = w.enforcer.handle(
        share_event("app-base", OUTSIDER, fleet=True, builder=False, actor=BOT)
    )

    # Re-evaluated (not ignored), found compliant: no loop either way.
    assert result.status == "processed"
    assert w.appstream.describes == 1
    assert w.appstream.write_calls() == []


def test_failed_call_is_recorded_and_not_acted_on() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(builder=True)})
    event = share_event("app-base", OUTSIDER, fleet=False, builder=True, errorCode="AccessDenied")

    result = w.enforcer.handle(event)

    assert result.status == "ignored"
    assert "AccessDenied" in result.note
    assert w.appstream.describes == 0
    assert w.appstream.write_calls() == []
    recorded = w.ledger.events["ev-1"]
    assert (recorded.status, recorded.event_name) == ("ignored", "UpdateImagePermissions")
    assert w.ledger.outbox == {}


def test_appstream_error_during_remedy_fails_the_action_and_alerts_critical() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})
    w.appstream.fail["UpdateImagePermissions"] = LimitExceeded(
        "LimitExceededException", "UpdateImagePermissions", "too many concurrent updates"
    )

    result = w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=True, builder=True))

    assert result.status == "processed"
    assert w.appstream.shares(image) == {OUTSIDER: perms(fleet=True, builder=True)}
    # The intent was written with the event before the call, then committed as failed.
    (written,) = w.ledger.event_writes
    assert [a.status for a in written.intent_actions()] == ["started"]
    assert w.ledger.action_writes == []
    (action,) = w.ledger.get_event("ev-1").actions
    assert action.status == "failed"
    assert action.error is not None
    assert action.error.startswith("LimitExceededException")
    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.severity == "critical"
    assert item.payload["summary"].startswith("govbot could not remove")
    assert item.payload["details"]["builder_warning"] is None
    assert w.ledger.events["ev-1"].status == "processed"
    assert "1 failed" in result.note


def test_exposure_window_runs_from_the_grant_event_to_the_revocation() -> None:
    w = world()
    w.clock.now = w.clock.now.replace(hour=16, minute=0, second=0)
    w.appstream.seed(ref("app-base"), {OUTSIDER: perms(builder=True)})

    w.enforcer.handle(
        share_event(
            "app-base", OUTSIDER, fleet=False, builder=True, event_time="2026-11-27T15:59:30Z"
        )
    )

    (item,) = w.ledger.outbox_of("violation_remedied")
    (change,) = item.payload["details"]["changes"]
    assert change["exposure_window"] == {
        "granted_at": "2026-11-27T15:59:30.000Z",
        "revoked_at": "2026-11-27T16:00:00.000Z",
        "seconds": 30.0,
    }
    assert item.payload["details"]["granted_at"] == "2026-11-27T15:59:30.000Z"


def test_exposure_window_is_unknown_when_the_event_is_not_the_grant() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(
        image, {OUTSIDER: perms(builder=True)}, tags={"classification": "confidential"}
    )
    tag_event = envelope(
        "TagResource",
        {"resourceArn": image.arn, "tags": {"classification": "confidential"}},
        event_id="ev-tag",
    )

    w.enforcer.handle(tag_event)

    assert w.appstream.shares(image) == {}
    (item,) = w.ledger.outbox_of("violation_remedied")
    (change,) = item.payload["details"]["changes"]
    window = change["exposure_window"]
    assert window["granted_at"] is None
    assert window["seconds"] is None
    assert window["note"].startswith("granted before 2026-11-27T15:59:30.000Z")
    assert item.payload["details"]["granted_at"] is None


def test_a_person_stopping_a_share_emits_stop_sharing_impact() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {})
    event = envelope(
        "DeleteImagePermissions", {"name": "app-base", "sharedAccountId": PARTNER}, event_id="ev-d"
    )

    result = w.enforcer.handle(event)

    assert result.status == "processed"
    assert w.appstream.write_calls() == []
    (item,) = w.ledger.outbox_of("stop_sharing_impact")
    assert item.payload["shared_account_ids"] == [PARTNER]
    assert PARTNER in item.payload["summary"]
    assert "desired capacity" in item.payload["details"]["fleet_impact"]


def test_more_than_80_decisions_overflow_outside_the_commit() -> None:
    members = [f"{300000000000 + i}" for i in range(85)]
    text = (
        "version: 1\nmode: enforce\norganization:\n  trust_member_accounts: true\n"
        "rules:\n  - id: no-untrusted-builders\n    type: no_image_builder_for_untrusted\n"
    )
    w = world(the_policy=parse_policy(text), org_accounts=frozenset(members))
    image = ref("app-base")
    shares = {m: perms(builder=True) for m in members}
    shares[OUTSIDER] = perms(fleet=True, builder=True)
    w.appstream.seed(image, shares)

    w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=True, builder=True))

    (overflow,) = w.ledger.overflow_writes
    (commit,) = w.ledger.commits
    assert len(commit.decisions) == 80
    assert len(overflow) == 86 - 80
    # The violation drives the outbox, so it stays in the commit's transaction.
    assert [d.account_id for d in commit.decisions if d.outcome == "violation"] == [OUTSIDER]
    assert all(d.outcome == "allowed" for d in overflow)
    assert len(w.ledger.get_event("ev-1").decisions) == 86
    assert w.appstream.shares(image)[OUTSIDER] == perms(fleet=True)
    assert len(w.ledger.outbox_of("violation_remedied")) == 1
