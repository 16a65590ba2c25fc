"""One SQS message of the enforcer's queue, whatever its body: route it, never drop it.

The enforcer's queue carries CloudTrail events, deferred Slack work and (redriven from the
DLQ) scheduled sweeps. Anything else, of any shape (a JSON nested too deep for the
parser, a ``source`` that is a list, bytes that are not text), is recorded as rejected
with a bounded reason: it never raises, so it never reaches the DLQ without a ledger
record. A transient failure raises :class:`~govbot.enforcer.resilience.RetryLater` so the
record fails its batch item and SQS delivers it again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govbot.batch import HandBack
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.outcomes import remedy_tally
from govbot.enforcer.ports import EnforcementResult
from govbot.enforcer.rejections import is_deterministic, unforeseen
from govbot.enforcer.resilience import Attempt
from govbot.events import RejectedEvent
from govbot.schedule import is_scheduled

if TYPE_CHECKING:
    from govbot.enforcer.sweep import DriftSweep

MAX_REASON = 300
logger = logging.getLogger(__name__)


class OutOfTime(Exception):
    """The function is close to its timeout: this record is handed back unprocessed."""


@dataclass(frozen=True)
class Deadline:
    """Stops a batch early: no record starts with less than ``margin_ms`` left."""

    remaining_ms: Callable[[], int]
    margin_ms: int

    def check(self, attempt: Attempt | None = None) -> None:
        """Raise :class:`OutOfTime` when too little time is left to handle one more record.

        A record on its last attempt is never handed back: it would reach the DLQ unheard.
        """
        if attempt is not None and attempt.is_last:
            return
        left = self.remaining_ms()
        if left < self.margin_ms:
            raise OutOfTime(
                f"{left} ms left, under the {self.margin_ms} ms margin: handed back to SQS"
            )


def bounded_reason(prefix: str, exc: BaseException) -> str:
    """``prefix: ExceptionType: message``, cut to a length a ledger record and Slack hold."""
    text = f"{prefix}: {type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def raw_text(body: object) -> str:
    """The body as text for the ledger, whatever it is."""
    if isinstance(body, str):
        return body
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    try:
        return repr(body)[:64_000]
    except Exception:
        return f"<unrepresentable {type(body).__name__}>"


def _read(body: str) -> dict[str, Any] | None:
    """The body as a JSON object, None when it is anything else (the enforcer judges it)."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def handle_message(
    body: str,
    enforcer: Enforcer,
    sweep: Callable[[], DriftSweep],
    *,
    attempt: Attempt | None = None,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """Route one message body; returns ``{"status", "event_id", "note", "remedies"}`` for
    logs and metrics (``remedies``: :func:`govbot.enforcer.outcomes.remedy_tally`).

    ``sweep`` gives the drift sweep, called only for a redriven scheduled event (so an
    ordinary event's cold start does not import or build the sweep).

    Raises
    ------
    RetryLater
        A transient failure (the ledger holds the attempt): fail the batch item.
    """
    try:
        event = _read(body)
        scheduled = event is not None and is_scheduled(event)
    except Exception as exc:
        return _rejected(enforcer, body, bounded_reason("message body could not be read", exc))
    if scheduled and event is not None:
        # A dead-lettered sweep redriven into the events queue: run it (idempotent by id).
        from govbot.enforcer.sweep import parse_schedule

        try:
            tick = parse_schedule(event, now())
        except ValueError as exc:
            return _rejected(enforcer, body, bounded_reason("malformed scheduled event", exc))
        report = sweep().run(tick)
        return {
            "status": report.status,
            "event_id": report.run_event_id,
            "note": report.note,
            "remedies": remedy_tally(a for f in report.findings for a in f.remedies),
        }
    try:
        result = enforcer.handle(body, attempt)
    except HandBack:
        raise  # a transient failure, already recorded: SQS delivers it again
    except Exception as exc:
        if not is_deterministic(exc):
            raise
        # The same body would fail the same way on every delivery: record it now (keyed by
        # its hash, escaped, bounded) instead of retrying it into the dead-letter queue.
        logger.exception("message could not be handled; recorded as rejected")
        return _recorded_rejection(enforcer.reject(unforeseen(raw_text(body), exc)))
    return {
        "status": result.status,
        "event_id": result.event_id,
        "note": result.note,
        "remedies": remedy_tally(result.actions),
    }


def _rejected(enforcer: Enforcer, body: object, reason: str) -> dict[str, Any]:
    return _recorded_rejection(enforcer.reject(RejectedEvent(reason=reason, raw=raw_text(body))))


def _recorded_rejection(result: EnforcementResult) -> dict[str, Any]:
    return {"status": result.status, "event_id": result.event_id, "note": result.note}
