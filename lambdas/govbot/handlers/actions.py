"""Actions Lambda (Function URL): Slack button clicks, signature-verified, approvers only.

Inline work stays inside Slack's 3-second budget: verify, authorise, record, write the
exemption. Work that calls AppStream is handed to the enforcer's queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot.config import ActionsSettings, load_settings
from govbot.enforcer.work import WORK_SOURCE
from govbot.gateways.secrets import SecretsGateway
from govbot.ledger import Ledger
from govbot.observability import logger, tracer
from govbot.runtime import PolicySource
from govbot.slack_actions.endpoint import ActionsDeps, handle_slack_action

WORK_DETAIL_TYPE = "govbot work request"


@dataclass(frozen=True)
class SqsWorkQueue:
    """Defers a request to the enforcer's queue, in an envelope the enforcer recognises."""

    queue_url: str
    client: Any

    def submit(self, request: dict[str, Any]) -> None:
        body = {"source": WORK_SOURCE, "detail-type": WORK_DETAIL_TYPE, "detail": request}
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))


@dataclass(frozen=True)
class _Parts:
    ledger: Ledger
    policy: PolicySource
    secrets: SecretsGateway
    work_queue: SqsWorkQueue | None


@cache
def _parts() -> _Parts:
    settings = load_settings(ActionsSettings)
    queue = (
        SqsWorkQueue(settings.work_queue_url, boto3.client("sqs"))
        if settings.work_queue_url
        else None
    )
    return _Parts(
        ledger=Ledger(settings.ledger_table_name, retention_days=settings.ledger_retention_days),
        policy=PolicySource(settings.policy_parameter_name),
        secrets=SecretsGateway(signing_secret_arn=settings.slack_signing_secret_arn),
        work_queue=queue,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Function URL event in, HTTP response for Slack out."""
    parts = _parts()
    deps = ActionsDeps(
        ledger=parts.ledger,
        policy=parts.policy(),
        secrets=parts.secrets,
        work_queue=parts.work_queue,
    )
    return handle_slack_action(event, deps)
