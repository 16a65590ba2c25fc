"""Rejections that always reach the ledger: escaped, bounded, never keyed by a claimed id.

Whatever a body holds (lone surrogates, huge fields, a date in year 9999), what the enforcer
stores about it must be writable on the first try: an input that fails every write reaches
the dead-letter queue with no record at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from govbot.enforcer.outcomes import rejected_item
from govbot.enforcer.ports import EnforcementResult, LedgerPort
from govbot.events import IgnoredEvent, ParsedEvent, RejectedEvent
from govbot.events.coerce import bounded_reason
from govbot.events.safety import safe_text
from govbot.ledger.records.inputs import UnhandledInput

# What a rejection keeps: the reason, the input's own labels and (the ledger caps it at
# 64k characters anyway) an escaped copy of the input.
MAX_REJECTION_REASON = 1000
MAX_REJECTION_LABEL = 256
MAX_REJECTED_RAW = 64_000
# An event stamped further ahead of govbot's clock than this is not a real CloudTrail
# record (9999-12-31 used to overflow the ledger's retention arithmetic on every delivery).
MAX_CLOCK_SKEW = timedelta(hours=1)
# A reason built from an exception (a body nothing could read): bounded like the parser's.
MAX_FAILURE_REASON = 300


def failure_reason(prefix: str, failure: BaseException | str) -> str:
    """``prefix: ExceptionType: message`` (or ``prefix: text``), bounded: the one way the
    enforcer words a rejection it builds itself (the parser words its own)."""
    detail = failure if isinstance(failure, str) else f"{type(failure).__name__}: {failure}"
    return bounded_reason([f"{prefix}: {detail}"], MAX_FAILURE_REASON)


def body_text(body: object) -> str:
    """The body as text for the ledger, whatever it is (``storable`` bounds it)."""
    if isinstance(body, str):
        return body
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    try:
        return repr(body)[:MAX_REJECTED_RAW]
    except Exception:
        return f"<unrepresentable {type(body).__name__}>"


def unreadable(prefix: str, failure: BaseException | str, body: Any) -> RejectedEvent:
    """A body (or part of one) no step could read, as a rejection."""
    return RejectedEvent(reason=failure_reason(prefix, failure), raw=body_text(body))


def unhandled_input(
    unhandled: RejectedEvent | IgnoredEvent, received_at: datetime
) -> UnhandledInput:
    """What the ledger records of an input the enforcer does not handle."""
    return UnhandledInput(
        status="rejected" if isinstance(unhandled, RejectedEvent) else "ignored",
        reason=unhandled.reason,
        raw=unhandled.raw,
        received_at=received_at,
        event_id=unhandled.event_id,
        event_name=unhandled.event_name,
        event_source=unhandled.event_source,
        account_id=unhandled.account_id,
        region=unhandled.region,
    )


def record_rejection(
    ledger: LedgerPort, clock: Callable[[], datetime], rejected: RejectedEvent
) -> EnforcementResult:
    """Record ``rejected`` (with a message to people); the batch goes on.

    Whatever the input held, what is stored is escaped and bounded (:func:`storable`), and
    the record is keyed by the input's hash, never by the eventID it claims.
    """
    rejected = storable(rejected)
    ledger_id = ledger.record_unhandled(unhandled_input(rejected, clock()))
    ledger.add_outbox([rejected_item(rejected, ledger_id)])
    return EnforcementResult("rejected", ledger_id, rejected.reason)


def record_ignored(
    ledger: LedgerPort, clock: Callable[[], datetime], ignored: IgnoredEvent
) -> EnforcementResult:
    """A valid event govbot does not govern: recorded with why, nobody is alerted."""
    ledger_id = ledger.record_unhandled(unhandled_input(ignored, clock()))
    return EnforcementResult("ignored", ledger_id, ignored.reason)


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
