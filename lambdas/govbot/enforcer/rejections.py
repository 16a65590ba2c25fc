"""Rejections that always reach the ledger: escaped, bounded, never keyed by a claimed id.

Whatever a body holds (lone surrogates, huge fields, a date in year 9999), what the enforcer
stores about it must be writable on the first try: an input that fails every write reaches
the dead-letter queue with no record at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from govbot.events import ParsedEvent, RejectedEvent
from govbot.events.safety import safe_text

# What a rejection keeps: the reason, the input's own labels and (the ledger caps it at
# 64k characters anyway) an escaped copy of the input.
MAX_REJECTION_REASON = 1000
MAX_REJECTION_LABEL = 256
MAX_REJECTED_RAW = 64_000
# An event stamped further ahead of govbot's clock than this is not a real CloudTrail
# record (9999-12-31 used to overflow the ledger's retention arithmetic on every delivery).
MAX_CLOCK_SKEW = timedelta(hours=1)


def storable(rejected: RejectedEvent) -> RejectedEvent:
    """``rejected`` with every text escaped (lone surrogates) and bounded: DynamoDB and
    Slack take valid UTF-8 only, and a ledger item holds at most 400 KB."""

    def label(value: str | None) -> str | None:
        return None if value is None else safe_text(value, MAX_REJECTION_LABEL)

    return rejected.model_copy(
        update={
            "reason": safe_text(rejected.reason, MAX_REJECTION_REASON),
            "raw": safe_text(rejected.raw, MAX_REJECTED_RAW),
            "event_id": label(rejected.event_id),
            "event_name": label(rejected.event_name),
            "event_source": label(rejected.event_source),
            "account_id": label(rejected.account_id),
            "region": label(rejected.region),
            "problems": tuple(safe_text(p, MAX_REJECTION_REASON) for p in rejected.problems),
        }
    )


def from_the_future(event: ParsedEvent, now: datetime) -> RejectedEvent | None:
    """A rejection for an event stamped more than :data:`MAX_CLOCK_SKEW` after ``now``."""
    ahead = event.event_time - now
    if ahead <= MAX_CLOCK_SKEW:
        return None
    return RejectedEvent(
        reason=(
            f"detail.eventTime {event.event_time.isoformat()} is "
            f"{ahead.total_seconds() / 3600:.1f} hours ahead of govbot's clock (more than "
            f"{MAX_CLOCK_SKEW} of skew allowed): not a real CloudTrail record"
        ),
        raw=event.raw,
        event_id=event.event_id,
        event_name=event.event_name,
        event_source="appstream.amazonaws.com",
        account_id=event.account_id,
        region=event.region,
    )


def unforeseen(body: str, exc: BaseException) -> RejectedEvent:
    """A body whose handling failed in a way no retry can change (see ``is_deterministic``)."""
    return RejectedEvent(
        reason=safe_text(
            "govbot could not handle this message (an input it did not foresee, or a bug): "
            f"{type(exc).__name__}: {exc}",
            MAX_REJECTION_REASON,
        ),
        raw=body,
    )


def is_deterministic(exc: BaseException) -> bool:
    """True for a failure the same body would meet on every delivery (text no store can
    encode, a date out of range, a value a record refuses, an item DynamoDB refuses):
    retrying it only fills the dead-letter queue. Throttling, 5xx and lost connections
    are not: those are retried."""
    if isinstance(exc, UnicodeError | OverflowError | RecursionError | TypeError | ValueError):
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        return code == "ValidationException"
    return type(exc).__name__ == "ParamValidationError"
