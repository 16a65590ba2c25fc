"""Replicator Lambda: golden triggers (SQS batch) and the periodic sweep (schedule).

Thin by design: the replicator comes from its composition root
(``govbot.wiring.replicator``) on the first call of a warm container. An SQS record that
raises is reported as a partial batch failure and retried by SQS (then dead-lettered); the
replicator's steps are idempotent, so no idempotency store is needed. The schedule delivers
EventBridge's ``Scheduled Event`` envelope (or Scheduler's input).
"""

from __future__ import annotations

import json
from typing import Any

from govbot.batch import sqs_batch
from govbot.observability import entrypoint, logger, metrics
from govbot.schedule import is_scheduled
from govbot.wiring import replicator as wiring


def _record_handler(body: str) -> dict[str, Any]:
    outcome = wiring.replicator().handle_event(body)
    result = {"status": outcome.status, "event_id": outcome.event_id, "note": outcome.note}
    logger.info("replicator event handled", extra=result)
    metrics.add_metric(name=f"ReplicatorEvents_{outcome.status}", unit="Count", value=1)
    return result


@entrypoint()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch of trigger events (partial batch failures) or the scheduled sweep."""
    if isinstance(event, dict) and "Records" in event:
        return sqs_batch(event, _record_handler)
    if is_scheduled(event):
        report = wiring.replicator().sweep().as_dict()
        logger.info("replicator sweep done", extra={"sweep": report})
        metrics.add_metric(name="ReplicatorSweeps", unit="Count", value=1)
        return {"sweep": report}
    shown = json.dumps(event, default=str)[:300]
    raise ValueError(
        "replicator: expected an SQS batch ('Records') or a scheduled event "
        f"(detail-type 'Scheduled Event', source aws.events/aws.scheduler); got {shown}"
    )
