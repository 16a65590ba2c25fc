"""One SQS record of the enforcer's queue: its deadline, then the router.

Whatever the body, :class:`~govbot.enforcer.router.Router` reads it once and routes it
(or records it as rejected): it never drops a record. A transient failure raises
:class:`~govbot.enforcer.resilience.RetryLater` so the record fails its batch item and SQS
delivers it again; :class:`Deadline` hands a record back unprocessed near the timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govbot.enforcer.logic import Enforcer
from govbot.enforcer.outcomes import remedy_tally
from govbot.enforcer.rejections import unreadable
from govbot.enforcer.resilience import Attempt
from govbot.enforcer.router import Router, Scheduled, summary

if TYPE_CHECKING:  # imported only when a redriven sweep needs it (nothing imports intake)
    from govbot.enforcer.sweep import DriftSweep


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


def handle_message(
    body: str,
    enforcer: Enforcer,
    sweep: Callable[[], DriftSweep],
    *,
    attempt: Attempt | None = None,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """Route one message body (:meth:`Router.handle_message`); returns ``{"status",
    "event_id", "note", "remedies"}`` for logs and metrics (``remedies``:
    :func:`govbot.enforcer.outcomes.remedy_tally`).

    ``sweep`` gives the drift sweep, called only for a redriven scheduled event (so an
    ordinary event's cold start does not import or build the sweep).

    Raises
    ------
    RetryLater
        A transient failure (the ledger holds the attempt): fail the batch item.
    """
    router = enforcer.router
    return router.handle_message(
        body, lambda message: _run_schedule(router, message, body, sweep, now), attempt=attempt
    )


def _run_schedule(
    router: Router,
    message: Scheduled,
    body: str,
    sweep: Callable[[], DriftSweep],
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """A dead-lettered sweep redriven into the events queue: run it (idempotent by id)."""
    from govbot.enforcer.sweep import parse_schedule

    try:
        tick = parse_schedule(message.event, now())
    except ValueError as exc:
        rejected = unreadable("malformed scheduled event", exc, body)
        return summary(router.reject(rejected), tally=False)
    report = sweep().run(tick)
    return {
        "status": report.status,
        "event_id": report.run_event_id,
        "note": report.note,
        "remedies": remedy_tally(a for f in report.findings for a in f.remedies),
    }
