"""The notifier function's parts: ledger, policy, message sink and stream reader.

Imports of what the parts are made of happen inside the builder: the handler imports this
module at cold start and pays only for what its first call builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from govbot.clock import Clock
from govbot.wiring.core import (
    _once,
    clock,
    parameter_store,
    session,
    settings,
    slack_timeout,
    sleeper,
)
from govbot.wiring.secrets import secrets_gateway

if TYPE_CHECKING:
    from govbot.gateways.slack import RetryPolicy, SlackWebhookGateway
    from govbot.gateways.streams import DynamoStreamReader
    from govbot.ledger import Ledger
    from govbot.notifier.sinks import MessageSink
    from govbot.policy.source import PolicySource


@dataclass(frozen=True)
class NotifierParts:
    """What the notifier keeps warm; its per-invocation deps are made from these."""

    ledger: Ledger
    policy: PolicySource
    sink: MessageSink
    streams: DynamoStreamReader
    clock: Clock
    retry_base_seconds: float
    # Posts this warm process made (outbox id, route): kept across invocations, so a post
    # whose receipt write failed is never posted again by this process.
    posted_here: set[tuple[str, str]] = field(default_factory=set)


def notifier_parts() -> NotifierParts:
    """The notifier handler's parts, built on its first call."""

    def build() -> NotifierParts:
        from govbot.config import NotifierSettings
        from govbot.gateways.slack import RetryPolicy
        from govbot.gateways.streams import DynamoStreamReader
        from govbot.ledger import Ledger
        from govbot.notifier.sinks import ConsoleSink, WebhookSink
        from govbot.policy.source import PolicySource

        config = settings(NotifierSettings)
        sink: MessageSink = (
            WebhookSink(
                secrets_gateway(webhooks_secret_arn=config.slack_webhooks_secret_arn),
                slack_gateway(RetryPolicy(sleep=sleeper())),
            )
            if config.slack_webhooks_secret_arn
            # No Slack configured: people read the same messages as JSON lines in the logs.
            else ConsoleSink()
        )
        now = clock()
        return NotifierParts(
            ledger=Ledger(
                config.ledger_table_name,
                session=session(),
                retention_days=config.ledger_retention_days,
                clock=now,
            ),
            clock=now,
            retry_base_seconds=config.retry_base_ms / 1000,
            policy=PolicySource(parameter_store(), config.policy_parameter_name),
            sink=sink,
            streams=DynamoStreamReader(client_factory=lambda: session().client("dynamodbstreams")),
        )

    return _once("notifier", build)


def slack_gateway(policy: RetryPolicy) -> SlackWebhookGateway:
    """The Slack gateway on ``policy``, with the seam's timeout if one is set."""
    from govbot.gateways.slack import SlackWebhookGateway

    timeout = slack_timeout()
    if timeout is None:
        return SlackWebhookGateway(policy)
    return SlackWebhookGateway(policy, timeout=timeout)
