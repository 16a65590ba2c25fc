"""Slack button clicks (interactivity) arriving on a Lambda Function URL.

Inline, within Slack's 3-second budget, only cheap work: verify the v0 signature (5-minute
replay window, plus a ledger check that the exact signed request was not seen before),
authorize the user against ``policy.approvers``, cross-check the button against its outbox
item, write the exemption. Every signed attempt, accepted or refused, is recorded in the
ledger as an ``EventRecord`` with ``event_name="SlackAction"`` (refusals: status
``rejected`` and why).

The URL is public, so the signature is checked first, before any I/O (the signing secret
is cached by the secrets gateway): an unsigned, forged or unreadable request is answered
400/401 and costs no ledger write of its own, only a count in a :class:`RefusalGuard`
and, at most once a minute per container, one small sampled record with a short TTL
(``refusals``). A source that keeps sending such requests gets 429 (and no sample) for the
rest of its window; a validly signed request is never turned away by that budget.

Slow work (AppStream calls to restore or re-revoke a permission) is deferred: it is
recorded as an ``ActionRecord`` (status ``started``) and handed to an injected
:class:`WorkQueue` (e.g. the enforcer's SQS queue). Without a queue the action is recorded
``skipped`` and says what happens instead: the drift sweep re-revokes on its next run; a
restore is not done (no sweep restores a permission) and the button must be pressed again
once a queue is configured.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from govbot.actions.exemptions import build_exemption
from govbot.actions.guard import RefusalGuard, RefusalLog, note_refusal, source_of
from govbot.clock import utcnow
from govbot.gateways.secrets import SecretSource
from govbot.kinds.common import violation_pairs
from govbot.ledger.keys import stable_id
from govbot.ledger.records import ActionRecord, EventRecord, ExemptionRecord, OutboxItem
from govbot.ledger.records.details import ExemptionDetails
from govbot.ledger.records.payload import ExemptionGranted
from govbot.notifier.model import PayloadError, parse_payload
from govbot.policy.models import Policy
from govbot.slack_buttons import (
    ACTION_GRANT_RESTORE,
    ButtonValue,
    ButtonValueError,
    action_name,
    decode_button_value,
)

REPLAY_WINDOW_SECONDS = 300
MAX_RAW = 4000


class ActionsLedger(Protocol):
    """The part of :class:`govbot.ledger.gateway.Ledger` the actions endpoint uses."""

    def record_event(self, rec: EventRecord) -> bool: ...
    def put_action(self, action: ActionRecord) -> None: ...
    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord: ...
    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]: ...
    def get_outbox(self, outbox_id: str) -> OutboxItem | None: ...
    def add_outbox(self, items: Any) -> int: ...


class WorkQueue(Protocol):
    """Somewhere to hand slow work (AppStream calls) to, e.g. the enforcer's queue."""

    def submit(self, request: dict[str, Any]) -> None: ...


@dataclass
class ActionsDeps:
    """What :func:`handle_slack_action` needs, injected by the handler (or a test)."""

    ledger: ActionsLedger
    policy: Policy
    secrets: SecretSource
    clock: Callable[[], datetime] = utcnow
    work_queue: WorkQueue | None = None
    guard: RefusalGuard = field(default_factory=RefusalGuard)  # per container, not per call
    refusals: RefusalLog | None = None  # the sampled record of unauthenticated refusals


class _Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class _DepsClock(Clock):
    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock

    def now(self) -> float:
        return self._clock().timestamp()


def _response(status: int, text: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"response_type": "ephemeral", "text": text}),
    }


def _body_and_headers(event: dict[str, Any]) -> tuple[str, dict[str, str]]:
    if not isinstance(event, dict):
        raise _Refused(
            400, f"request must be a Function URL event object, got {type(event).__name__}"
        )
    raw_headers = event.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise _Refused(400, f"headers must be an object, got {type(raw_headers).__name__}")
    headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise _Refused(400, f"body must be a string, got {type(body).__name__}")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Refused(400, "body is marked base64 but does not decode") from exc
    return body, headers


def _verify(body: str, headers: dict[str, str], deps: ActionsDeps) -> None:
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise _Refused(401, "missing X-Slack-Request-Timestamp or X-Slack-Signature header")
    try:
        age = abs(deps.clock().timestamp() - int(timestamp))
    except ValueError:
        raise _Refused(
            401, f"X-Slack-Request-Timestamp is not an integer: {timestamp[:20]!r}"
        ) from None
    if age > REPLAY_WINDOW_SECONDS:
        raise _Refused(401, f"stale request: timestamp is {int(age)}s from now (limit 300s)")
    verifier = SignatureVerifier(deps.secrets.signing_secret(), clock=_DepsClock(deps.clock))
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise _Refused(401, "invalid signature (HMAC-SHA256 v0 does not match)")


def _parse(body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    form = parse_qs(body, keep_blank_values=True)
    if "payload" not in form:
        raise _Refused(400, "body has no form field 'payload' (expected Slack interactivity)")
    try:
        payload = json.loads(form["payload"][0])
    except json.JSONDecodeError as exc:
        raise _Refused(400, f"form field 'payload' is not JSON ({exc.msg})") from exc
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise _Refused(400, "payload.type must be 'block_actions'")
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise _Refused(400, "payload.actions must hold one button action")
    return payload, actions[0]


def _check_against_outbox(value: ButtonValue, deps: ActionsDeps) -> OutboxItem:
    item = deps.ledger.get_outbox(value.outbox_id)
    if item is None:
        raise _Refused(400, f"button names outbox {value.outbox_id!r}, which does not exist")
    try:
        payload = parse_payload(item.payload, outbox_id=item.outbox_id)
    except PayloadError as exc:
        raise _Refused(400, str(exc)) from exc
    if payload.image_arn != value.image_arn:
        raise _Refused(
            400, f"button image {value.image_arn} is not the image of outbox {value.outbox_id}"
        )
    pairs = {(a, p) for a, p, _r in violation_pairs(payload)}
    if (value.account_id, value.permission) not in pairs:
        raise _Refused(
            400,
            f"outbox {value.outbox_id} has no violation for account "
            f"{value.account_id} / {value.permission}",
        )
    return item


def handle_slack_action(event: dict[str, Any], deps: ActionsDeps) -> dict[str, Any]:
    """Handle one Slack interactivity request (Function URL event); return the HTTP answer.

    400 unreadable request or malformed payload, 401 missing/bad/stale signature, 429 an
    unauthenticated request from a source over its budget of refusals, 403 not an approver,
    409 a validly signed request seen before, 200 accepted. Signed requests are recorded in
    the ledger, accepted or refused; unsigned and forged ones are only counted (module doc).
    """
    now = deps.clock()
    try:
        body, headers = _body_and_headers(event)
        _verify(body, headers, deps)
    except _Refused as exc:
        source = source_of(event)
        if deps.guard.over_budget(source, now):  # a valid signature is never turned away
            return _response(429, "Refused: too many unauthenticated requests from this source")
        return _refuse_unauthenticated(exc, event, source, deps, now)
    return _handle_signed(body, headers, deps, now)


def _handle_signed(
    body: str, headers: dict[str, str], deps: ActionsDeps, now: datetime
) -> dict[str, Any]:
    """A request Slack signed: act on it, and record it whatever the outcome."""
    context: dict[str, Any] = {"raw": body[:MAX_RAW]}
    event_id = _event_id(headers)
    try:
        payload, action = _parse(body)
        who = payload.get("user")
        user = str((who.get("id") if isinstance(who, dict) else None) or "")
        context["user"] = user
        name = action_name(str(action.get("action_id") or ""))
        value = decode_button_value(str(action.get("value") or ""))
        context["value"] = value
        if not deps.policy.is_approver(user):
            raise _Refused(403, f"Slack user {user or '(none)'} is not in policy approvers")
        item = _check_against_outbox(value, deps)
        if not deps.ledger.record_event(
            _event(event_id, "processed", f"accepted: {name}", context, now)
        ):
            return _response(409, "this exact request was already handled (replay refused)")
        text = _perform(name, value, action, user, item, event_id, deps, now)
        return _response(200, text)
    except Exception as exc:
        status = exc.status if isinstance(exc, _Refused) else 400
        reason = exc.reason if isinstance(exc, _Refused) else _unexpected(exc)
        recorded = deps.ledger.record_event(_event(event_id, "rejected", reason, context, now))
        if not recorded:  # the same signed request came before: a genuine replay
            status, reason = 409, f"replayed request refused ({reason})"
        return _response(status, f"Refused: {reason}")


def _refuse_unauthenticated(
    exc: _Refused, event: Any, source: str, deps: ActionsDeps, now: datetime
) -> dict[str, Any]:
    """400/401 without a ledger write of its own (counted; sampled now and then)."""
    note_refusal(
        exc.status, exc.reason, event, source, guard=deps.guard, log=deps.refusals, now=now
    )
    return _response(exc.status, f"Refused: {exc.reason}")


def _unexpected(exc: Exception) -> str:
    """A bounded reason for a request no check foresaw (a button value error included)."""
    if isinstance(exc, ButtonValueError):
        return str(exc)[:500]
    return f"malformed request ({type(exc).__name__}: {str(exc)[:300]})"


def _event_id(headers: dict[str, str]) -> str:
    # The same signed request always maps to the same id: a replay finds its first record.
    return "slack-action-" + stable_id(
        headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", "")
    )


def _event(
    event_id: str, status: str, reason: str, context: dict[str, Any], now: datetime
) -> EventRecord:
    value: ButtonValue | None = context.get("value")
    user = context.get("user")
    return EventRecord(
        event_id=event_id,
        event_name="SlackAction",
        status=status,
        reason=reason[:1000],
        actor_arn=f"slack:user/{user}" if user else None,
        image_arn=value.image_arn if value else None,
        shared_account_id=value.account_id if value else None,
        occurred_at=now,
        received_at=now,
        raw=context.get("raw", ""),
    )


def _perform(
    name: str,
    value: ButtonValue,
    action: dict[str, Any],
    user: str,
    item: OutboxItem,
    event_id: str,
    deps: ActionsDeps,
    now: datetime,
) -> str:
    request = {
        "image_arn": value.image_arn,
        "account_id": value.account_id,
        "permission": value.permission,
        "requested_by": f"slack:user/{user}",
        "outbox_id": value.outbox_id,
        "event_id": event_id,
    }
    if name == "grant_exemption":
        record = deps.ledger.put_exemption(
            build_exemption(
                image_arn=value.image_arn,
                account_id=value.account_id,
                permission=value.permission,
                days=value.days,
                approver=user,
                now=now,
                reason=f"granted from Slack by {user} (outbox {value.outbox_id})",
            )
        )
        _announce(record, item, deps)
        text = f"Exemption {record.exemption_id} granted until {record.expires_at:%Y-%m-%d %H:%M}Z"
        restore = action.get("action_id") == ACTION_GRANT_RESTORE or value.restore
        if restore:
            text += "; " + _defer("RestorePermission", request, event_id, deps, now)
        return text
    for ex in deps.ledger.active_exemptions(now):
        if (ex.image_arn, ex.account_id) == (value.image_arn, value.account_id) and (
            ex.permission in ("*", value.permission)
        ):
            deps.ledger.put_exemption(ex.model_copy(update={"status": "revoked"}))
    return "Re-apply revocation: " + _defer("ReapplyRevocation", request, event_id, deps, now)


def _defer(
    operation: str, request: dict[str, Any], event_id: str, deps: ActionsDeps, now: datetime
) -> str:
    queued = deps.work_queue is not None
    if deps.work_queue is not None:
        deps.work_queue.submit({"operation": operation, **request})
    # Without a queue, say what happens instead: only a revocation is redone by a sweep.
    fallback = (
        "the next drift sweep revokes it"
        if operation == "ReapplyRevocation"
        else "not done; the permission stays revoked until restored by hand"
    )
    deps.ledger.put_action(
        ActionRecord(
            event_id=event_id,
            seq=1,
            operation=operation,
            request=request,
            status="started" if queued else "skipped",
            error=None if queued else f"no work queue configured; {fallback}",
            image_arn=request["image_arn"],
            shared_account_id=request["account_id"],
            actor_arn=request["requested_by"],
            recorded_at=now,
        )
    )
    return f"{operation} queued" if queued else f"{operation} not queued: {fallback}"


def _announce(record: ExemptionRecord, item: OutboxItem, deps: ActionsDeps) -> None:
    source = item.payload
    payload = ExemptionGranted(
        severity="info",
        image_arn=record.image_arn,
        image_name=source.get("image_name"),
        region=source.get("region"),
        account_id=source.get("account_id"),
        shared_account_ids=[record.account_id],
        actor_arn=f"slack:user/{record.approver}",
        rule_ids=source.get("rule_ids") or [],
        summary=record.reason,
        details=ExemptionDetails(
            exemption_id=record.exemption_id,
            approver=record.approver,
            expires=record.expires_at.isoformat(),
            reason=record.reason,
            permission=record.permission,
        ),
    )
    discriminators = (record.exemption_id, record.expires_at.isoformat())
    deps.ledger.add_outbox([OutboxItem.from_payload(payload, discriminators=discriminators)])
