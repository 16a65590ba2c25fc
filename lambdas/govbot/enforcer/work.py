"""Deferred work from Slack buttons: the envelope the actions endpoint queues, as events."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Protocol

from govbot.domain import ImageRef
from govbot.events import ParsedEvent

# Deferred work from Slack buttons arrives on the same queue in this envelope.
WORK_SOURCE = "govbot.actions"
WORK_DETAIL_TYPE = "govbot work request"
WORK_OPERATIONS = frozenset({"ReapplyRevocation", "RestorePermission"})


class JsonQueue(Protocol):
    """A queue taking JSON bodies (the SQS gateway's ``SqsQueue``)."""

    def send_json(self, body: dict[str, Any]) -> str: ...


class QueuedWork:
    """Defers a request to the enforcer's queue, in the envelope the enforcer recognises."""

    def __init__(self, queue: JsonQueue) -> None:
        self.queue = queue

    def submit(self, request: dict[str, Any]) -> None:
        """Queue ``request`` for the enforcer (it arrives as a work envelope)."""
        self.queue.send_json(
            {"source": WORK_SOURCE, "detail-type": WORK_DETAIL_TYPE, "detail": request}
        )


def work_request(body: str | bytes | dict[str, Any]) -> dict[str, Any] | None:
    """The request inside a deferred-work envelope from the actions endpoint, else None."""
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict) or body.get("source") != WORK_SOURCE:
        return None
    detail = body.get("detail")
    return detail if isinstance(detail, dict) else {}


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
