"""Replicator Lambda: golden triggers (SQS batch) and the periodic sweep (schedule).

Thin by design: settings and dependencies are built on the first call of a warm container.
An SQS record that raises is reported as a partial batch failure and retried by SQS (then
dead-lettered); the replicator's steps are idempotent, so no idempotency store is needed.
The schedule delivers EventBridge's ``Scheduled Event`` envelope (or Scheduler's input).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot.config import ReplicatorSettings, load_settings
from govbot.observability import logger, metrics, tracer
from govbot.replicator.logic import Replicator
from govbot.replicator.wiring import build_replicator

SCHEDULE_SOURCES = frozenset({"aws.events", "aws.scheduler"})
SCHEDULED_DETAIL_TYPES = frozenset({"Scheduled Event"})

processor = BatchProcessor(event_type=EventType.SQS)
# The local sandbox drives time with a manual clock; Lambda always uses the real one.
_clock_override: Callable[[], datetime] | None = None


def use_clock(clock: Callable[[], datetime] | None) -> None:
    """Sandbox only: make the replicator read time from ``clock`` (None: the real clock)."""
    global _clock_override
    _clock_override = clock
    _runtime.cache_clear()


@cache
def _runtime() -> Replicator:
    settings = load_settings(ReplicatorSettings)
    return build_replicator(settings, clock=_clock_override)


def is_scheduled(event: Mapping[str, Any]) -> bool:
    """True for the sweep schedule's invocation (EventBridge rule or Scheduler)."""
    return (
        event.get("detail-type") in SCHEDULED_DETAIL_TYPES
        or event.get("source") in SCHEDULE_SOURCES
        or event.get("action") == "sweep"
    )


def _record_handler(record: SQSRecord) -> dict[str, Any]:
    outcome = _runtime().handle_event(record.body)
    result = {"status": outcome.status, "event_id": outcome.event_id, "note": outcome.note}
    logger.info("replicator event handled", extra=result)
    metrics.add_metric(name=f"ReplicatorEvents_{outcome.status}", unit="Count", value=1)
    return result


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """SQS batch of trigger events (partial batch failures) or the scheduled sweep."""
    if isinstance(event, dict) and "Records" in event:
        response = process_partial_response(
            event=event, record_handler=_record_handler, processor=processor, context=context
        )
        return dict(response)
    if isinstance(event, dict) and is_scheduled(event):
        report = _runtime().sweep().as_dict()
        logger.info("replicator sweep done", extra={"sweep": report})
        metrics.add_metric(name="ReplicatorSweeps", unit="Count", value=1)
        return {"sweep": report}
    shown = json.dumps(event, default=str)[:300]
    raise ValueError(
        "replicator: expected an SQS batch ('Records') or a scheduled event "
        f"(detail-type 'Scheduled Event', source aws.events/aws.scheduler); got {shown}"
    )
