"""The sweep's identities: the scheduled invocation, the pass, and each image's event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govbot.domain import ImageRef
from govbot.events import ParsedEvent

SWEEP_EVENT_NAME = "DriftSweep"
SCHEDULE_SOURCES = frozenset({"aws.events", "aws.scheduler"})
SCHEDULED_DETAIL_TYPE = "Scheduled Event"
RUN_PREFIX = "DRIFTRUN-"
IMAGE_PREFIX = "DRIFT-"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def run_event_id(schedule_event_id: str) -> str:
    """The summary event id of the invocation (or pass) started by ``schedule_event_id``."""
    return RUN_PREFIX + _digest(schedule_event_id)


def image_event_id(pass_id: str, image_arn: str) -> str:
    """The synthetic event id of ``image_arn`` in pass ``pass_id`` (one per image and pass:
    every invocation of the pass finds the same records, so nothing is acted on twice)."""
    return IMAGE_PREFIX + _digest(f"{pass_id}|{image_arn}")


@dataclass(frozen=True)
class ScheduleTick:
    """The scheduled invocation that starts (or continues) a pass."""

    event_id: str
    time: datetime
    actor_arn: str  # the schedule rule (or schedule) ARN
    account_id: str
    region: str
    raw: str

    @property
    def run_event_id(self) -> str:
        """The invocation's summary event id (same for every retry of this invocation)."""
        return run_event_id(self.event_id)

    def image_event_id(self, image_arn: str) -> str:
        """The synthetic event id of ``image_arn`` in the pass this tick opens."""
        return image_event_id(self.event_id, image_arn)


@dataclass(frozen=True)
class PassIdentity:
    """What names a pass in the ledger and in its events: id, opener and time."""

    pass_id: str
    actor_arn: str
    occurred_at: datetime

    @property
    def run_event_id(self) -> str:
        """The summary event of the invocation that opened the pass."""
        return run_event_id(self.pass_id)


def is_scheduled(event: Mapping[str, Any]) -> bool:
    """True for a schedule's invocation (EventBridge rule or EventBridge Scheduler)."""
    return "Records" not in event and (
        event.get("detail-type") == SCHEDULED_DETAIL_TYPE or event.get("source") in SCHEDULE_SOURCES
    )


def parse_schedule(event: Mapping[str, Any], now: datetime) -> ScheduleTick:
    """The run identity inside a ``Scheduled Event`` envelope.

    Raises ``ValueError`` naming the field when ``id`` is missing (a run without an id
    could not be told from its own retry) or ``time`` is not ISO-8601.
    """
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id.strip():
        raise ValueError(
            "scheduled event: field 'id' must be a non-empty string (it makes the sweep "
            f"idempotent across retries); got {event_id!r}"
        )
    raw_time = event.get("time")
    when = now
    if raw_time is not None:
        try:
            when = datetime.fromisoformat(str(raw_time).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"scheduled event: field 'time' must be ISO-8601 like "
                f"2026-01-01T00:00:00Z; got {raw_time!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    resources = event.get("resources")
    first = resources[0] if isinstance(resources, list) and resources else None
    source = str(event.get("source") or "schedule")
    return ScheduleTick(
        event_id=event_id.strip(),
        time=when,
        actor_arn=str(first) if first else f"{source}:unknown-schedule",
        account_id=str(event.get("account") or ""),
        region=str(event.get("region") or ""),
        raw=json.dumps(dict(event), sort_keys=True, default=str),
    )


def drift_event(run: PassIdentity, ref: ImageRef) -> ParsedEvent:
    """A ParsedEvent standing for "the sweep found this image", for ``enforce_image``."""
    raw = {"source": "govbot.sweep", "schedule_event_id": run.pass_id, "image_arn": ref.arn}
    # model_construct: like work_event, no CloudTrail params exist; every field read
    # downstream is set here.
    return ParsedEvent.model_construct(
        event_id=image_event_id(run.pass_id, ref.arn),
        envelope_id=run.pass_id,
        event_name=SWEEP_EVENT_NAME,
        event_type="service_event",
        event_time=run.occurred_at,
        region=ref.region,
        account_id=ref.account_id,
        actor_arn=run.actor_arn,
        image_name=ref.name,
        image_arn=ref.arn,
        shared_account_id=None,
        permissions=None,
        error_code=None,
        tags={},
        tag_keys=(),
        params=None,
        raw=json.dumps(raw, sort_keys=True),
    )
