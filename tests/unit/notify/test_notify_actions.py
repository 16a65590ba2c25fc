"""Slack buttons: signature, approvers, recording every attempt, and the exemption effect."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from govbot.actions.endpoint import ActionsDeps, handle_slack_action
from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.secrets import StaticSecrets
from govbot.governance import to_policy_exemptions
from govbot.policy.engine import evaluate
from govbot.slack_buttons import (
    ACTION_GRANT,
    ACTION_GRANT_RESTORE,
    ACTION_REAPPLY,
    ButtonValue,
    ButtonValueError,
    decode_button_value,
)
from govbot_sandbox.fake_slack import block_actions_payload, function_url_event
from tests.fakes import FakeLedger, RecordingQueue
from tests.unit.notify.builders import APPROVER, IMAGE_ARN, STRANGER, T0, outbox, policy

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = int(T0.timestamp())


def _value(**over) -> str:
    data = {"o": "ob-1", "i": IMAGE_ARN, "a": STRANGER, "p": "image_builder", "d": 7}
    data.update(over)
    return json.dumps(data)


def _event(
    user: str = APPROVER,
    action_id: str = ACTION_GRANT,
    value: str | None = None,
    *,
    ts: int = NOW,
    secret: str = SECRET,
    base64_body: bool = True,
) -> dict:
    payload = block_actions_payload(user_id=user, action_id=action_id, value=value or _value())
    return function_url_event(payload, secret=secret, timestamp=ts, base64_body=base64_body)


def _deps(queue: RecordingQueue | None = None) -> tuple[ActionsDeps, FakeLedger]:
    ledger = FakeLedger(records=[outbox(1)])
    deps = ActionsDeps(
        ledger=ledger,
        policy=policy(),
        secrets=StaticSecrets(signing=SECRET),
        clock=lambda: T0,
        work_queue=queue,
    )
    return deps, ledger


def _only_event(ledger: FakeLedger):
    assert len(ledger.events) == 1
    return next(iter(ledger.events.values()))


def _snapshot() -> ImageSnapshot:
    return ImageSnapshot(
        ref=ImageRef.from_arn(IMAGE_ARN),
        shared_with=(
            SharedAccountPermission(
                account_id=STRANGER, permissions=Permissions(allow_image_builder=True)
            ),
        ),
    )


def test_approver_click_grants_exemption_that_the_next_evaluation_honours():
    deps, ledger = _deps()
    before = evaluate(_snapshot(), deps.policy, T0)
    assert [v.outcome for v in before.verdicts if v.account_id == STRANGER] == ["violation"]

    response = handle_slack_action(_event(), deps)
    assert response["statusCode"] == 200, response
    assert "granted until 2026-12-04" in json.loads(response["body"])["text"]
    (record,) = ledger.exemptions.values()
    assert (record.image_arn, record.account_id, record.permission, record.approver) == (
        IMAGE_ARN,
        STRANGER,
        "image_builder",
        APPROVER,
    )
    assert record.expires_at == T0 + timedelta(days=7)
    event = _only_event(ledger)
    assert (event.event_name, event.status, event.actor_arn) == (
        "SlackAction",
        "processed",
        f"slack:user/{APPROVER}",
    )
    assert any(i.message_kind == "exemption_granted" for i in ledger.outbox.values())

    extra = to_policy_exemptions(ledger.active_exemptions(T0))
    after = evaluate(_snapshot(), deps.policy, T0 + timedelta(hours=1), extra_exemptions=extra)
    assert [v.outcome for v in after.verdicts if v.account_id == STRANGER] == ["exempted"]
    expired = evaluate(_snapshot(), deps.policy, T0 + timedelta(days=8), extra_exemptions=extra)
    assert [v.outcome for v in expired.verdicts if v.account_id == STRANGER] == ["violation"]


@pytest.mark.parametrize(
    ("make_event", "status", "reason"),
    [
        (lambda: _event(user="U0INTRUDER"), 403, "U0INTRUDER is not in policy approvers"),
        (lambda: _event(value="{bad"), 400, "button value is not JSON"),
        (lambda: _event(value=_value(a="12")), 400, "button value invalid"),
        (lambda: _event(value=_value(o="ob-404")), 400, "outbox 'ob-404', which does not exist"),
        (lambda: _event(value=_value(a="333333333333")), 400, "no violation for account"),
        (lambda: _event(action_id="govbot_delete_everything"), 400, "unknown action_id"),
    ],
)
def test_signed_refusals_are_answered_and_recorded_with_the_reason(make_event, status, reason):
    deps, ledger = _deps()
    response = handle_slack_action(make_event(), deps)
    assert response["statusCode"] == status
    assert reason in json.loads(response["body"])["text"]
    event = _only_event(ledger)
    assert event.status == "rejected"
    assert reason in (event.reason or "")
    assert ledger.exemptions == {}


def _unsigned(event: dict) -> dict:
    del event["headers"]["x-slack-signature"]
    return event


def _garbled_base64(event: dict) -> dict:
    event["body"] = "%%% not base64 %%%"
    return event


@pytest.mark.parametrize(
    ("make_event", "status", "reason"),
    [
        (lambda: _event(secret="not-the-secret"), 401, "invalid signature"),
        (lambda: _event(ts=NOW - 301), 401, "stale request"),
        (lambda: _event(ts=NOW + 3600), 401, "stale request"),
        (lambda: _unsigned(_event()), 401, "missing X-Slack-Request-Timestamp"),
        (lambda: _garbled_base64(_event()), 400, "does not decode"),
        (lambda: "not an event", 400, "must be a Function URL event object"),
    ],
)
def test_unauthenticated_requests_cost_no_ledger_write(make_event, status, reason):
    deps, ledger = _deps()
    writes_before = len(ledger.records())
    for _ in range(3):  # the same request again is still a 401/400, never "replayed"
        response = handle_slack_action(make_event(), deps)
        assert response["statusCode"] == status
        assert reason in json.loads(response["body"])["text"]
    assert ledger.events == {}
    assert len(ledger.records()) == writes_before
    assert deps.guard.refused_total == 3


def test_unauthenticated_refusals_are_sampled_once_a_minute_small_and_short_lived():
    deps, ledger = _deps()
    notes = FakeLedger()
    deps.refusals = notes
    clock = {"now": T0}
    deps.clock = lambda: clock["now"]
    for second in range(0, 150):  # 150 forged requests over 150 s: three samples
        clock["now"] = T0 + timedelta(seconds=second)
        handle_slack_action(_event(secret="guess", ts=NOW + second), deps)
    samples = sorted(notes.events.values(), key=lambda e: str(e.received_at))
    assert [s.reason.split(" ")[0] for s in samples] == ["1", "60", "60"]  # type: ignore[union-attr]
    assert all(s.status == "rejected" and s.event_name == "SlackActionRefused" for s in samples)
    assert all(len(s.raw or "") < 600 for s in samples)
    assert ledger.events == {}


def test_a_source_over_its_budget_gets_429_and_its_signed_clicks_still_work():
    deps, ledger = _deps()
    flood = {"requestContext": {"http": {"sourceIp": "203.0.113.9"}}}
    answers = [
        handle_slack_action({**_event(secret="guess"), **flood}, deps)["statusCode"]
        for _ in range(40)
    ]
    assert answers[:30] == [401] * 30
    assert set(answers[30:]) == {429}
    assert deps.guard.throttled_total == 10
    assert handle_slack_action({**_event(), **flood}, deps)["statusCode"] == 200
    assert _only_event(ledger).status == "processed"


def test_a_signed_request_refused_once_is_a_replay_the_second_time():
    deps, ledger = _deps()
    event = _event(user="U0INTRUDER")
    assert handle_slack_action(event, deps)["statusCode"] == 403
    second = handle_slack_action(event, deps)
    assert second["statusCode"] == 409
    assert "replayed request refused" in json.loads(second["body"])["text"]
    assert _only_event(ledger).status == "rejected"


def test_a_replayed_signed_request_is_refused_and_does_nothing_more():
    deps, _ledger = _deps(RecordingQueue())
    event = _event(action_id=ACTION_REAPPLY)
    assert handle_slack_action(event, deps)["statusCode"] == 200
    assert handle_slack_action(event, deps)["statusCode"] == 409
    assert len(deps.work_queue.submitted) == 1  # type: ignore[union-attr]


def test_plain_text_body_is_accepted_too():
    deps, _ = _deps()
    assert handle_slack_action(_event(base64_body=False), deps)["statusCode"] == 200


def test_reapply_revokes_the_exemption_and_defers_the_appstream_work():
    queue = RecordingQueue()
    deps, ledger = _deps(queue)
    handle_slack_action(_event(), deps)
    response = handle_slack_action(_event(action_id=ACTION_REAPPLY, ts=NOW + 1), deps)
    assert response["statusCode"] == 200
    assert [r.status for r in ledger.exemptions.values()] == ["revoked"]
    assert to_policy_exemptions(ledger.exemptions.values()) == []
    assert queue.submitted == [
        {
            "operation": "ReapplyRevocation",
            "image_arn": IMAGE_ARN,
            "account_id": STRANGER,
            "permission": "image_builder",
            "requested_by": f"slack:user/{APPROVER}",
            "outbox_id": "ob-1",
            "event_id": queue.submitted[0]["event_id"],
        }
    ]
    assert [(a.operation, a.status) for a in ledger.action_writes] == [
        ("ReapplyRevocation", "started")
    ]


def test_grant_and_restore_without_queue_says_the_restore_is_not_done():
    deps, ledger = _deps(None)
    response = handle_slack_action(_event(action_id=ACTION_GRANT_RESTORE), deps)
    text = json.loads(response["body"])["text"]
    assert "RestorePermission not queued: not done" in text
    assert "reconcil" not in text
    assert [(a.operation, a.status) for a in ledger.action_writes] == [
        ("RestorePermission", "skipped")
    ]
    assert ledger.action_writes[0].error is not None
    assert "restored by hand" in ledger.action_writes[0].error


def test_reapply_without_queue_names_the_drift_sweep():
    deps, ledger = _deps(None)
    handle_slack_action(_event(), deps)
    response = handle_slack_action(_event(action_id=ACTION_REAPPLY, ts=NOW + 1), deps)
    text = json.loads(response["body"])["text"]
    assert "ReapplyRevocation not queued: the next drift sweep revokes it" in text
    assert [(a.operation, a.status) for a in ledger.action_writes] == [
        ("ReapplyRevocation", "skipped")
    ]


def test_button_value_round_trip_and_bounds():
    value = ButtonValue.model_validate(
        {"o": "x", "i": IMAGE_ARN, "a": STRANGER, "p": "fleet", "d": 90}
    )
    assert decode_button_value(value.encode()) == value
    with pytest.raises(ButtonValueError, match="d"):
        decode_button_value(_value(d=91))
    with pytest.raises(ButtonValueError, match="not an AppStream image ARN"):
        decode_button_value(_value(i="arn:aws:s3:::bucket"))
