"""Enforcer Lambda: SQS batch of AppStream CloudTrail events -> remedies and ledger records.

The same function runs the drift sweep when its schedule invokes it with EventBridge's
``Scheduled Event`` envelope (source ``aws.events`` or ``aws.scheduler``): the sweep is
idempotent by the schedule event's ``id``.

Thin by design: its parts come from the composition root (``govbot.wiring.enforcer``) on the first
call of a warm container; every record goes to
:func:`govbot.enforcer.intake.handle_message`. Exactly-once per CloudTrail event comes from
the ledger's conditional writes (the event record, the intent, the commit), so there is no
second idempotency store. A record that raises (a transient failure, or the function close
to its timeout) is reported as a partial batch failure and retried by SQS, then
dead-lettered; a body that cannot be read is recorded as rejected and never fails the rest
of its batch.
"""

from __future__ import annotations

from typing import Any

from govbot.batch import sqs_records
from govbot.observability import add_counts, entrypoint, logger, metrics
from govbot.schedule import is_scheduled
from govbot.wiring import enforcer as wiring


def _record_handler(record: dict[str, Any], context: Any) -> dict[str, Any]:
    from govbot.enforcer.intake import Deadline, handle_message
    from govbot.enforcer.resilience import Attempt

    parts = wiring.enforcer_parts()
    attributes = record.get("attributes") or {}
    attempt = Attempt.from_receive_count(
        attributes.get("ApproximateReceiveCount"), parts.settings.max_receive_count
    )
    # Close to the timeout: hand this record back unprocessed (a batch item failure).
    Deadline(context.get_remaining_time_in_millis, parts.settings.early_stop_margin_ms).check(
        attempt
    )
    outcome = handle_message(
        str(record.get("body", "")),
        parts.enforcer,
        lambda: parts.sweep,
        attempt=attempt,
        now=parts.clock,
    )
    logger.info("event handled", extra=outcome)
    metrics.add_metric(name=f"Events_{outcome['status']}", unit="Count", value=1)
    _remedy_metrics(outcome.get("remedies"))
    return outcome


def _remedy_metrics(tally: dict[str, dict[str, int]] | None) -> None:
    """``RemediesApplied`` / ``RemediesFailed`` by ``rule`` (the dashboard's remedies)."""
    for outcome, name in (("applied", "RemediesApplied"), ("failed", "RemediesFailed")):
        add_counts(name, (tally or {}).get(outcome, {}), dimension="rule")


@entrypoint()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS event source entry point (partial batch failures), or the scheduled drift sweep."""
    if is_scheduled(event):
        return _sweep(event, context)
    wiring.enforcer_parts()  # a bad environment fails the invocation, not each record
    return sqs_records(event, lambda record: _record_handler(record, context))


def _sweep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One drift sweep run; raising lets the schedule's retry policy (then DLQ) take over."""
    from govbot.enforcer.sweep import parse_schedule

    parts = wiring.enforcer_parts()
    tick = parse_schedule(event, parts.clock())
    report = parts.sweep.run(tick, remaining_ms=context.get_remaining_time_in_millis)
    result = report.as_dict()
    logger.info("drift sweep done", extra={"sweep": result})
    metrics.add_metric(name="DriftSweeps", unit="Count", value=1)
    metrics.add_metric(name="DriftImages", unit="Count", value=len(report.findings))
    metrics.add_metric(name="DriftSweepErrors", unit="Count", value=len(report.errors))
    from govbot.enforcer.outcomes import remedy_tally

    _remedy_metrics(remedy_tally(a for f in report.findings for a in f.remedies))
    return {"sweep": result}


def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The drift sweeper function's entry (the enforcer's code, a longer timeout).

    Only its schedule invokes it; anything else is refused with the reason. ``context`` is
    the Lambda context (the sandbox passes its stand-in).
    """
    if not is_scheduled(event):
        raise ValueError(
            "drift sweeper: expected EventBridge's 'Scheduled Event' envelope (source "
            "aws.events or aws.scheduler); CloudTrail events go to the enforcer's queue"
        )
    return handler(event, context)
