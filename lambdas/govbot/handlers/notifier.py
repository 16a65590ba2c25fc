"""Notifier Lambda: the ledger's stream of new outbox items -> Slack (or the console).

Three invocation shapes, all thin:
- a DynamoDB stream batch (outbox INSERTs only, by the event source filter): deliver, with
  partial batch failures so a failing item is retried and finally dead-lettered;
- a scheduled event: send the digests of storm windows that have ended;
- ``{"govbot": "replay-dead-letters", "messages": [...]}``: an operator re-delivers what
  the on-failure queue holds (SQS messages or their bodies).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot.config import NotifierSettings, load_settings
from govbot.gateways.secrets import SecretsGateway
from govbot.ledger import Ledger
from govbot.notify.delivery import NotifierDeps, deliver_stream_batch
from govbot.notify.digest import flush_digests
from govbot.notify.replay import DynamoStreamReader, replay_dead_letters
from govbot.notify.sinks import ConsoleSink, MessageSink, WebhookSink
from govbot.notify.storm_store import DynamoWindowStore
from govbot.observability import logger, metrics, tracer
from govbot.runtime import PolicySource

SCHEDULED = "Scheduled Event"


@dataclass(frozen=True)
class _Parts:
    """What survives across warm invocations (clients, caches); deps are rebuilt per call."""

    ledger: Ledger
    policy: PolicySource
    sink: MessageSink
    windows: DynamoWindowStore


@cache
def _parts() -> _Parts:
    settings = load_settings(NotifierSettings)
    ledger = Ledger(settings.ledger_table_name, retention_days=settings.ledger_retention_days)
    sink: MessageSink = (
        WebhookSink(SecretsGateway(webhooks_secret_arn=settings.slack_webhooks_secret_arn))
        if settings.slack_webhooks_secret_arn
        # No Slack configured: people read the same messages as JSON lines in the logs.
        else ConsoleSink()
    )
    return _Parts(
        ledger=ledger,
        policy=PolicySource(settings.policy_parameter_name),
        sink=sink,
        windows=DynamoWindowStore(ledger.client, settings.ledger_table_name),
    )


def notifier_deps() -> NotifierDeps:
    """Fresh per-invocation deps over the cached clients; the policy's routes are current."""
    parts = _parts()
    return NotifierDeps(
        ledger=parts.ledger,
        notifications=parts.policy().notifications,
        sink=parts.sink,
        windows=parts.windows,
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Stream batch, scheduled digest flush, or operator replay of dead letters."""
    deps = notifier_deps()
    if event.get("Records") is not None:
        result = deliver_stream_batch(event, deps)
        failed = len(result.get("batchItemFailures", []))
        metrics.add_metric(name="OutboxRecords", unit="Count", value=len(event["Records"]))
        metrics.add_metric(name="OutboxRecordsFailed", unit="Count", value=failed)
        return result
    if event.get("detail-type") == SCHEDULED:
        sent = flush_digests(deps.windows, deps.notifications, deps.sink, now=deps.clock())
        metrics.add_metric(name="DigestsSent", unit="Count", value=len(sent))
        return {"digests_sent": sent}
    if event.get("govbot") == "replay-dead-letters":
        reader = DynamoStreamReader(boto3.client("dynamodbstreams"))
        return replay_dead_letters(event.get("messages", []), deps, reader=reader)
    raise ValueError(
        "notifier expects a DynamoDB stream batch ('Records'), a 'Scheduled Event', or "
        f"{{'govbot': 'replay-dead-letters'}}; got keys {sorted(event)}"
    )
