"""Deferred work from Slack buttons: the signed envelope the actions endpoint queues.

Anyone in the account allowed to send to the enforcer's queue could otherwise forge a
"restore" and make govbot share an image. So the actions function signs each envelope
(HMAC-SHA256 with a key kept in Secrets Manager, read through the secrets gateway) and the
enforcer obeys only envelopes whose signature it verifies (:func:`verified_request`); the
queue's policy also admits only EventBridge (govbot's rules) and the actions role.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from govbot.domain import ImageRef
from govbot.events import ParsedEvent
from govbot.ledger.keys import format_ts, parse_ts

# Deferred work from Slack buttons arrives on the same queue in this envelope.
WORK_SOURCE = "govbot.actions"
WORK_DETAIL_TYPE = "govbot work request"
WORK_OPERATIONS = frozenset({"ReapplyRevocation", "RestorePermission"})
SIGNATURE_FIELD = "govbot-signature"
SIGNATURE_VERSION = 1
# A signed envelope is obeyed for this long (SQS retries, a DLQ redrive the same day).
MAX_WORK_AGE = timedelta(hours=24)
# Clocks of the two functions may differ a little; an envelope from further ahead is forged.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
MIN_KEY_BYTES = 32


class WorkRefused(ValueError):
    """A work envelope govbot will not obey (unsigned, badly signed, stale or unknown)."""


class JsonQueue(Protocol):
    """A queue taking JSON bodies (the SQS gateway's ``SqsQueue``)."""

    def send_json(self, body: dict[str, Any]) -> str: ...


class QueuedWork:
    """Defers a request to the enforcer's queue, in a signed envelope the enforcer obeys.

    ``key`` returns the signing key (the secrets gateway's ``work_signing_key``).
    """

    def __init__(
        self,
        queue: JsonQueue,
        key: Callable[[], bytes],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        from govbot.clock import utcnow

        self.queue = queue
        self._key = key
        self._clock = clock or utcnow

    def submit(self, request: dict[str, Any]) -> None:
        """Queue ``request`` for the enforcer (it arrives as a signed work envelope)."""
        self.queue.send_json(signed_envelope(request, self._key(), self._clock()))


def signed_envelope(request: dict[str, Any], key: bytes, now: datetime) -> dict[str, Any]:
    """``request`` in the work envelope, signed with ``key`` at ``now``."""
    _check_key(key)
    issued_at = format_ts(now)
    return {
        "source": WORK_SOURCE,
        "detail-type": WORK_DETAIL_TYPE,
        "detail": request,
        SIGNATURE_FIELD: {
            "version": SIGNATURE_VERSION,
            "issued_at": issued_at,
            "hmac_sha256": _mac(key, request, issued_at),
        },
    }


def verified_request(envelope: dict[str, Any], key: bytes, now: datetime) -> dict[str, Any]:
    """The request of a work envelope whose signature ``key`` verifies; else
    :class:`WorkRefused` saying why (never echoing the expected signature)."""
    _check_key(key)
    signature = envelope.get(SIGNATURE_FIELD)
    if signature is None:
        raise WorkRefused(
            "unsigned work request: govbot obeys only work the actions function signed"
        )
    if not isinstance(signature, dict) or signature.get("version") != SIGNATURE_VERSION:
        raise WorkRefused(f"unknown work signature format (expected version {SIGNATURE_VERSION})")
    detail, issued_at, given = (
        envelope.get("detail"),
        signature.get("issued_at"),
        signature.get("hmac_sha256"),
    )
    if not isinstance(detail, dict) or not isinstance(issued_at, str) or not isinstance(given, str):
        raise WorkRefused("work envelope lacks a detail object, issued_at or hmac_sha256")
    if not hmac.compare_digest(_mac(key, detail, issued_at), given):
        raise WorkRefused("work request signature does not match: forged or altered")
    try:
        issued = parse_ts(issued_at)
    except ValueError as exc:
        raise WorkRefused(f"work signature issued_at is not a timestamp: {exc}") from exc
    if now - issued > MAX_WORK_AGE:
        raise WorkRefused(f"signed work request expired (issued {issued_at}, kept {MAX_WORK_AGE})")
    if issued - now > MAX_CLOCK_AHEAD:
        raise WorkRefused(f"signed work request issued in the future ({issued_at})")
    return detail


def _mac(key: bytes, detail: dict[str, Any], issued_at: str) -> str:
    # Canonical JSON (sorted keys, ASCII only): the same bytes after SQS's round trip.
    message = json.dumps(
        {"detail": detail, "issued_at": issued_at},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def _check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise WorkRefused(f"the work signing key is shorter than {MIN_KEY_BYTES} bytes")


def work_envelope(body: str | bytes | dict[str, Any]) -> dict[str, Any] | None:
    """The deferred-work envelope (``source`` govbot.actions) ``body`` is, else None."""
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict) or body.get("source") != WORK_SOURCE:
        return None
    return body


def work_event(request: dict[str, Any], now: datetime) -> ParsedEvent:
    """A ParsedEvent standing for a button press, so it leaves the same ledger story."""
    operation = request["operation"]
    if operation not in WORK_OPERATIONS:
        raise ValueError(f"operation must be one of {sorted(WORK_OPERATIONS)}, got {operation!r}")
    ref = ImageRef.from_arn(str(request["image_arn"]))
    account = str(request["account_id"])
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    # model_construct: no CloudTrail params exist for a button press; every field read
    # downstream is set here.
    return ParsedEvent.model_construct(
        event_id=f"WORK-{operation}-{digest}",
        envelope_id="",
        event_name=operation,
        event_type="api_call",
        event_time=now,
        region=ref.region,
        account_id=ref.account_id,
        actor_arn=_slack_actor(request.get("requested_by")),
        image_name=ref.name,
        image_arn=ref.arn,
        shared_account_id=account,
        permissions=None,
        error_code=None,
        tags={},
        tag_keys=(),
        params=None,
        raw=json.dumps(request, sort_keys=True),
    )


def _slack_actor(requested_by: object) -> str:
    """``slack:<who>``; the actions endpoint already sends ``slack:user/<id>``."""
    who = str(requested_by or "unknown")
    return who if who.startswith("slack:") else f"slack:{who}"
