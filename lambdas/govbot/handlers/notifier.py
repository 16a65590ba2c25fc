"""Notifier Lambda: the ledger's stream of new outbox items -> Slack (or the console).

Four invocation shapes, all thin:
- an SNS delivery from govbot's alarm topic (a dead-letter queue holds messages, say):
  one critical message per alarm, posted straight to Slack (``notifier/alarms.py``);
- a DynamoDB stream batch (outbox INSERTs only, by the event source filter): deliver, with
  partial batch failures so a failing item is retried and finally dead-lettered;
- a scheduled event: deliver the items no stream record will (failed, a dead notifier's
  expired lease, pending too long), then send the digests of storm windows that have ended;
- ``{"govbot": "replay-dead-letters", "messages": [...]}``: an operator re-delivers what
  the on-failure queue holds (SQS messages or their bodies).

Its parts (ledger, policy, sink, stream reader) come from the composition root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.observability import entrypoint, metrics
from govbot.schedule import is_scheduled
from govbot.wiring import notifier as wiring

if TYPE_CHECKING:
    from govbot.notifier.delivery import NotifierDeps


def notifier_deps(context: Any = None) -> NotifierDeps:
    """Fresh per-invocation deps over the cached clients; the policy's routes are current."""
    from govbot.notifier.delivery import NotifierDeps

    parts = wiring.notifier_parts()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return NotifierDeps(
        ledger=parts.ledger,
        notifications=parts.policy().notifications,
        sink=parts.sink,
        windows=parts.ledger,
        clock=parts.clock,
        retry_base_seconds=parts.retry_base_seconds,
        time_left=(lambda: remaining() / 1000) if callable(remaining) else None,
        posted_here=parts.posted_here,
    )


@entrypoint()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream batch, scheduled sweep and digest flush, or operator replay of dead letters."""
    deps = notifier_deps(context)
    from govbot.notifier.alarms import announce_alarms, is_alarm_event

    if is_alarm_event(event):  # govbot's alarm topic: posted without the ledger
        return announce_alarms(event, deps.notifications, deps.sink)
    if event.get("Records") is not None:
        from govbot.notifier.delivery import deliver_stream_batch

        result = deliver_stream_batch(event, deps)
        failed = len(result.get("batchItemFailures", []))
        metrics.add_metric(name="OutboxRecords", unit="Count", value=len(event["Records"]))
        metrics.add_metric(name="OutboxRecordsFailed", unit="Count", value=failed)
        return result
    if is_scheduled(event):
        from govbot.notifier.digest import flush_digests
        from govbot.notifier.replay import redeliver_stalled

        stalled = redeliver_stalled(deps)
        sent = flush_digests(deps.windows, deps.notifications, deps.sink, now=deps.clock())
        metrics.add_metric(name="DigestsSent", unit="Count", value=len(sent))
        metrics.add_metric(name="StalledRedelivered", unit="Count", value=len(stalled["delivered"]))
        return {"digests_sent": sent, "stalled": stalled}
    if event.get("govbot") == "replay-dead-letters":
        from govbot.notifier.replay import replay_dead_letters

        reader = wiring.notifier_parts().streams
        return replay_dead_letters(event.get("messages", []), deps, reader=reader)
    raise ValueError(
        "notifier expects a DynamoDB stream batch ('Records'), a 'Scheduled Event', or "
        f"{{'govbot': 'replay-dead-letters'}}; got keys {sorted(event)}"
    )
