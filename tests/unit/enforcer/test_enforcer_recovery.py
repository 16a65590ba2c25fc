"""Crash recovery: an action left ``started`` by an earlier attempt is settled on retry."""

from __future__ import annotations

import pytest

from tests.fakes import Crash
from tests.unit.enforcer.builders import OUTSIDER, TRUSTED, perms, ref, share_event, world


def test_started_action_whose_effect_is_visible_is_confirmed_with_its_decisions() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})
    event = share_event("app-base", OUTSIDER, fleet=True, builder=True)
    w.ledger.crash_on_commit = 1
    with pytest.raises(Crash):
        w.enforcer.handle(event)  # the remedy happened, the commit did not
    assert [a.status for a in w.ledger.get_event("ev-1").actions] == ["started"]
    assert w.ledger.events["ev-1"].status == "received"

    result = w.enforcer.handle(event)  # SQS redelivers

    assert result.status == "processed"
    assert len(w.appstream.write_calls()) == 1  # confirmed, not called again
    (action,) = w.ledger.get_event("ev-1").actions
    assert (action.seq, action.status) == (0, "succeeded")
    assert action.request["note"] == "confirmed on retry"
    # The re-read no longer shows the violation; the decision is recovered from the intent.
    violations = [d for d in w.ledger.get_event("ev-1").decisions if d.outcome == "violation"]
    assert [(d.rule_id, d.account_id, d.permission, d.mode) for d in violations] == [
        ("no-untrusted-builders", OUTSIDER, "image_builder", "enforce")
    ]
    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.severity == "critical"  # no-untrusted-builders: its default severity
    assert item.payload["details"]["violations"] == [
        {"account_id": OUTSIDER, "permission": "image_builder", "rule_id": "no-untrusted-builders"}
    ]


def test_started_action_whose_effect_is_missing_is_failed_and_re_evaluated() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})
    event = share_event("app-base", OUTSIDER, fleet=True, builder=True)
    w.appstream.fail["UpdateImagePermissions"] = Crash("timed out inside the AppStream call")
    with pytest.raises(Crash):
        w.enforcer.handle(event)
    assert w.appstream.shares(image)[OUTSIDER] == perms(fleet=True, builder=True)

    result = w.enforcer.handle(event)

    assert result.status == "processed"
    assert w.appstream.shares(image) == {OUTSIDER: perms(fleet=True)}
    first, second = w.ledger.get_event("ev-1").actions
    assert (first.seq, first.status) == (0, "failed")
    assert first.error == "interrupted before completion; re-evaluated"
    assert (second.seq, second.status) == (1, "succeeded")
    # The message reports the remedy that happened, once, not the superseded attempt.
    (item,) = w.ledger.outbox_of("violation_remedied")
    assert item.severity == "critical"  # no-untrusted-builders: its default severity
    assert item.payload["summary"].startswith("govbot removed")
    assert item.payload["details"]["violations"] == [
        {"account_id": OUTSIDER, "permission": "image_builder", "rule_id": "no-untrusted-builders"}
    ]


def test_interrupted_action_made_moot_by_someone_else_sends_no_remedy_message() -> None:
    w = world()
    image = ref("app-base")
    w.appstream.seed(image, {OUTSIDER: perms(fleet=True, builder=True)})
    event = share_event("app-base", OUTSIDER, fleet=True, builder=True)
    w.appstream.fail["UpdateImagePermissions"] = Crash("timed out")
    with pytest.raises(Crash):
        w.enforcer.handle(event)
    w.appstream.seed(image, {TRUSTED: perms(fleet=True)})  # a person cleaned up meanwhile

    result = w.enforcer.handle(event)

    assert result.status == "processed"
    (action,) = w.ledger.get_event("ev-1").actions
    assert action.status == "failed"
    assert len(w.appstream.write_calls()) == 1
    assert w.ledger.outbox_of("violation_remedied") == []


def test_a_committed_event_delivered_again_is_a_duplicate_and_does_nothing() -> None:
    w = world()
    w.appstream.seed(ref("app-base"), {OUTSIDER: perms(builder=True)})
    event = share_event("app-base", OUTSIDER, fleet=False, builder=True)
    w.enforcer.handle(event)
    calls, describes = len(w.appstream.write_calls()), w.appstream.describes
    w.appstream.seed(ref("app-base"), {OUTSIDER: perms(builder=True)})  # granted again

    result = w.enforcer.handle(event)

    assert result.status == "duplicate"
    # No ledger read comes first (issue 10): the redelivery reads the image once, its
    # conditional write finds the event final, and it stops there: no remedy, no commit.
    assert w.appstream.describes == describes + 1
    assert len(w.appstream.write_calls()) == calls
    assert len(w.ledger.commits) == 1
