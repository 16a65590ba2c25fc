"""Issue 11 semantics in the enforcer: severity from the policy's rules, standing
violations announced once (and on change and resolution), the reminder digest."""

from __future__ import annotations

from datetime import timedelta

from govbot.domain import highest_severity
from govbot.enforcer.announce import (
    announce,
    due_for_reminder,
    pass_reminders,
    resolve_announced,
)
from govbot.ledger.records.state import AnnouncedState
from govbot.policy.loader import parse_policy
from govbot.policy.results import Verdict
from tests.fakes import T0, FakeLedger
from tests.unit.enforcer.builders import (
    OUTSIDER,
    POLICY,
    perms,
    ref,
    share_event,
    world,
)


def _verdict(reason: str = "r", severity: str = "high", account: str = OUTSIDER) -> Verdict:
    return Verdict(
        rule_id="dev",
        rule_type="fleet_only_for_listed",
        account_id=account,
        permission="fleet",
        outcome="violation",
        mode="audit",
        severity=severity,
        reason=reason,
    )


def test_highest_severity_picks_the_worst_and_failure_wins() -> None:
    assert highest_severity(["low", "high", "medium"]) == "high"
    assert highest_severity([], default="low") == "low"
    assert highest_severity(["bogus"]) == "medium"
    assert highest_severity(["info"], failed=True) == "critical"


def test_remedy_severity_is_the_rules_configured_severity() -> None:
    text = POLICY.format(mode="enforce").replace(
        "    type: no_image_builder_for_untrusted\n",
        "    type: no_image_builder_for_untrusted\n    severity: low\n",
    )
    w = world(the_policy=parse_policy(text, source="test"))
    w.appstream.seed(ref("app-base"), {OUTSIDER: perms(builder=True)})

    w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=False, builder=True))

    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.severity == "low"  # the policy's severity, not a fixed "high"
    (action,) = w.ledger.get_event("ev-1").actions
    assert action.request["violations"][0]["severity"] == "low"


def test_never_share_remedy_is_high_by_default() -> None:
    w = world()
    w.appstream.seed(
        ref("vault"), {OUTSIDER: perms(fleet=True)}, tags={"classification": "confidential"}
    )

    w.enforcer.handle(share_event("vault", OUTSIDER, fleet=True, builder=False))

    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.severity == "high"


def test_audit_violation_is_announced_once_then_only_on_change_and_resolution() -> None:
    w = world(mode="audit")
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(builder=True)})
    w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=False, builder=True, event_id="ev-1"))
    assert len(w.ledger.outbox_of("violation_audit")) == 1
    assert w.ledger.outbox_of("violation_audit")[0].severity == "critical"

    # The same standing violation seen again by another event: recorded, not announced.
    w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=False, builder=True, event_id="ev-2"))
    assert len(w.ledger.outbox_of("violation_audit")) == 1
    assert any(d.outcome == "violation" for d in w.ledger.get_event("ev-2").decisions)

    # A fleet grant the policy allows adds no finding: still no news.
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})
    w.enforcer.handle(share_event("app-base", OUTSIDER, fleet=True, builder=True, event_id="ev-3"))
    assert len(w.ledger.outbox_of("violation_audit")) == 1

    # Resolved: the share goes.
    w.appstream.seed(image, {})
    w.enforcer.handle(
        share_event("app-base", OUTSIDER, fleet=False, builder=False, event_id="ev-4")
    )
    (resolved,) = w.ledger.outbox_of("violation_resolved")
    assert resolved.payload["details"]["violations"][0]["account_id"] == OUTSIDER
    state = w.ledger.get_announced(image.arn)
    assert state is not None
    assert state.findings == {}


def test_a_changed_reason_is_news() -> None:
    image = ref("app-base")
    first = announce(None, image, [_verdict("was 3 accounts")], T0)
    assert [v.reason for v in first.fresh] == ["was 3 accounts"]
    assert first.state is not None
    same = announce(first.state, image, [_verdict("was 3 accounts")], T0)
    assert same.quiet
    assert same.state is None
    changed = announce(first.state, image, [_verdict("now 4 accounts")], T0)
    assert [v.reason for v in changed.fresh] == ["now 4 accounts"]


def test_reminders_are_due_after_the_interval_only() -> None:
    state = AnnouncedState(
        image_arn=ref("app-base").arn,
        findings={"dev|x|fleet": {"fingerprint": "f", "rule_id": "dev", "severity": "high"}},
        announced_at=T0,
    )
    assert due_for_reminder([state], T0 + timedelta(hours=23), 24) == []
    assert due_for_reminder([state], T0 + timedelta(hours=24), 24) == [state]
    assert due_for_reminder([state], T0 + timedelta(days=30), 0) == []
    reminded = state.model_copy(update={"reminded_at": T0 + timedelta(hours=24)})
    assert due_for_reminder([reminded], T0 + timedelta(hours=47), 24) == []


def test_resolution_and_reminders_for_the_sweep() -> None:
    ledger = FakeLedger()
    fixed, standing = ref("fixed"), ref("standing")
    for image in (fixed, standing):
        ledger.put_announced(announce(None, image, [_verdict()], T0).state)  # type: ignore[arg-type]

    resolve_announced(
        ledger, ledger.announced[fixed.arn], cause="compliant", discriminator="P", now=T0
    )
    resolve_announced(  # a retry of the same pass: the same outbox id, one message
        ledger, ledger.announced[fixed.arn], cause="compliant", discriminator="P", now=T0
    )
    items, reminded = pass_reminders(
        ledger, run_event_id="RUN", now=T0 + timedelta(days=1), interval_hours=24
    )

    (resolved,) = ledger.outbox_of("violation_resolved")
    assert resolved.payload["image_arn"] == fixed.arn
    assert ledger.announced[fixed.arn].findings == {}
    (reminder,) = items
    assert reminder.message_kind == "violation_reminder"
    assert reminder.payload["details"]["drift"][0]["image_arn"] == standing.arn
    assert reminder.severity == "high"
    assert [s.reminded_at for s in reminded] == [T0 + timedelta(days=1)]
