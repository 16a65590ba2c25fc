"""Enforcer Lambda: SQS batch of AppStream CloudTrail events -> remedies and ledger records.

Thin by design: settings, dependencies and idempotency are built on the first call of a
warm container; every record goes to ``Enforcer.handle``. A record that raises is reported
as a partial batch failure and retried by SQS (then dead-lettered); a record that cannot be
parsed is recorded as rejected and never fails the rest of its batch.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot.config import EnforcerSettings, load_settings
from govbot.enforcer.logic import Enforcer
from govbot.observability import logger, metrics, tracer
from govbot.runtime import build_enforcer

IDEMPOTENCY_SECONDS = 2 * 24 * 3600  # longer than EventBridge/SQS redelivery windows

processor = BatchProcessor(event_type=EventType.SQS)


class _Runtime:
    def __init__(self, enforcer: Enforcer, settings: EnforcerSettings) -> None:
        self.enforcer = enforcer
        self.config = IdempotencyConfig(
            event_key_jmespath="detail.eventID",
            raise_on_no_idempotency_key=False,
            expires_after_seconds=IDEMPOTENCY_SECONDS,
        )
        store = DynamoDBPersistenceLayer(
            table_name=settings.ledger_table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value="IDEMPOTENCY#enforcer",
            expiry_attr="expires_at",
        )

        @idempotent_function(
            data_keyword_argument="event", config=self.config, persistence_store=store
        )
        def handle_once(event: dict[str, Any]) -> dict[str, Any]:
            result = self.enforcer.handle(event)
            return {"status": result.status, "event_id": result.event_id, "note": result.note}

        self.handle_once = handle_once

    def handle(self, body: str) -> dict[str, Any]:
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            # Not an object: no eventID to be idempotent on; the enforcer records the rejection.
            rejected = self.enforcer.handle(body)
            return {"status": rejected.status, "event_id": rejected.event_id, "note": rejected.note}
        outcome: dict[str, Any] = self.handle_once(event=event)
        return outcome


@cache
def _runtime() -> _Runtime:
    settings = load_settings(EnforcerSettings)
    return _Runtime(build_enforcer(settings), settings)


def _record_handler(record: SQSRecord) -> dict[str, Any]:
    outcome = _runtime().handle(record.body)
    logger.info("event handled", extra=outcome)
    metrics.add_metric(name=f"Events_{outcome['status']}", unit="Count", value=1)
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """SQS event source entry point, with partial batch failure reporting."""
    _runtime().config.register_lambda_context(context)
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=processor, context=context
        )
    )
