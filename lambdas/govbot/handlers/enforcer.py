"""Enforcer Lambda: SQS batch of AppStream CloudTrail events -> remedies and ledger records.

The same function runs the drift sweep when its schedule invokes it with EventBridge's
``Scheduled Event`` envelope (source ``aws.events`` or ``aws.scheduler``): the sweep is
idempotent by the schedule event's ``id``, so it needs no idempotency record of its own.

Thin by design: settings, dependencies and idempotency are built on the first call of a
warm container; every record goes to ``Enforcer.handle``. A record that raises is reported
as a partial batch failure and retried by SQS (then dead-lettered); a record that cannot be
parsed is recorded as rejected and never fails the rest of its batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
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
from govbot.enforcer.sweep import DriftSweep, SweepSettings, is_scheduled, parse_schedule
from govbot.enforcer.work import work_request
from govbot.gateways.appstream import AppStreamGateway
from govbot.observability import logger, metrics, tracer
from govbot.runtime import build_enforcer, role_arn_resolver

IDEMPOTENCY_SECONDS = 2 * 24 * 3600  # longer than EventBridge/SQS redelivery windows

processor = BatchProcessor(event_type=EventType.SQS)


class _Runtime:
    def __init__(
        self, enforcer: Enforcer, settings: EnforcerSettings, appstream: AppStreamGateway
    ) -> None:
        self.enforcer = enforcer
        self.sweep = DriftSweep(
            enforcer,
            appstream,
            settings=SweepSettings(
                calls_in_flight=settings.sweep_calls_in_flight,
                parallel_lanes=settings.sweep_parallel_lanes,
            ),
        )
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
        if not isinstance(event, dict) or work_request(event) is not None:
            # Not an object (the enforcer records the rejection), or a Slack button's work
            # request (no CloudTrail eventID; the ledger's event id dedupes it instead).
            direct = self.enforcer.handle(body)
            return {"status": direct.status, "event_id": direct.event_id, "note": direct.note}
        if is_scheduled(event):
            # A dead-lettered sweep redriven into the events queue: run it (idempotent by id).
            report = self.sweep.run(parse_schedule(event, datetime.now(UTC)))
            return {"status": report.status, "event_id": report.run_event_id, "note": report.note}
        outcome: dict[str, Any] = self.handle_once(event=event)
        return outcome


_clock_override: Callable[[], datetime] | None = None


def use_clock(clock: Callable[[], datetime] | None) -> None:
    """Sandbox only: make the enforcer and its sweep read time from ``clock`` (None: real)."""
    global _clock_override
    _clock_override = clock
    _runtime.cache_clear()


@cache
def _runtime() -> _Runtime:
    settings = load_settings(EnforcerSettings)
    # One gateway for both paths: the sweep lists images through the clients it caches.
    appstream = AppStreamGateway(
        role_arn_for=role_arn_resolver(settings.remediation_role_name, settings.hub_account_id)
    )
    enforcer = build_enforcer(settings, appstream=appstream, clock=_clock_override)
    return _Runtime(enforcer, settings, appstream)


def _record_handler(record: SQSRecord) -> dict[str, Any]:
    outcome = _runtime().handle(record.body)
    logger.info("event handled", extra=outcome)
    metrics.add_metric(name=f"Events_{outcome['status']}", unit="Count", value=1)
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """SQS event source entry point (partial batch failures), or the scheduled drift sweep."""
    if isinstance(event, dict) and is_scheduled(event):
        return _sweep(event, context)
    _runtime().config.register_lambda_context(context)
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=processor, context=context
        )
    )


def _sweep(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One drift sweep run; raising lets the schedule's retry policy (then DLQ) take over."""
    tick = parse_schedule(event, datetime.now(UTC))
    report = _runtime().sweep.run(tick, remaining_ms=context.get_remaining_time_in_millis)
    result = report.as_dict()
    logger.info("drift sweep done", extra={"sweep": result})
    metrics.add_metric(name="DriftSweeps", unit="Count", value=1)
    metrics.add_metric(name="DriftImages", unit="Count", value=len(report.findings))
    metrics.add_metric(name="DriftSweepErrors", unit="Count", value=len(report.errors))
    return {"sweep": result}


def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The drift sweeper function's entry (the enforcer's code, a longer timeout).

    Only its schedule invokes it; anything else is refused with the reason. ``context`` is
    the Lambda context (the sandbox passes its stand-in).
    """
    if not (isinstance(event, dict) and is_scheduled(event)):
        raise ValueError(
            "drift sweeper: expected EventBridge's 'Scheduled Event' envelope (source "
            "aws.events or aws.scheduler); CloudTrail events go to the enforcer's queue"
        )
    return handler(event, context)
