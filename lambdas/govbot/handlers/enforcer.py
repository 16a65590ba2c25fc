"""Enforcer Lambda: SQS batch of AppStream CloudTrail events -> remedies and ledger records.

The same function runs the drift sweep when its schedule invokes it with EventBridge's
``Scheduled Event`` envelope (source ``aws.events`` or ``aws.scheduler``): the sweep is
idempotent by the schedule event's ``id``, so it needs no idempotency record of its own.

Thin by design: settings and dependencies are built on the first call of a warm
container; every record goes to :func:`govbot.enforcer.intake.handle_message`. Exactly-once
comes from the ledger's conditional writes (an event is committed once). A record that
raises (a transient failure, or the function close to its timeout) is reported as a
partial batch failure and retried by SQS, then dead-lettered; a body that cannot be read is
recorded as rejected and never fails the rest of its batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot.config import EnforcerSettings, load_settings
from govbot.enforcer.intake import Deadline, handle_message
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.resilience import Attempt
from govbot.enforcer.sweep import DriftSweep, is_scheduled, parse_schedule
from govbot.gateways.appstream import AppStreamGateway
from govbot.gateways.retries import RetrySettings
from govbot.observability import logger, metrics, tracer
from govbot.runtime import build_enforcer, role_arn_resolver

processor = BatchProcessor(event_type=EventType.SQS)


class _Runtime:
    def __init__(
        self, enforcer: Enforcer, settings: EnforcerSettings, appstream: AppStreamGateway
    ) -> None:
        self.enforcer = enforcer
        self.settings = settings
        self.sweep = DriftSweep(enforcer, appstream)


@cache
def _runtime() -> _Runtime:
    settings = load_settings(EnforcerSettings)
    # One gateway for both paths: the sweep lists images through the clients it caches.
    appstream = AppStreamGateway(
        role_arn_for=role_arn_resolver(settings.remediation_role_name, settings.hub_account_id),
        retry=RetrySettings(
            max_attempts=settings.appstream_max_attempts,
            base_seconds=settings.appstream_backoff_base_ms / 1000,
            cap_seconds=settings.appstream_backoff_cap_ms / 1000,
        ),
    )
    return _Runtime(build_enforcer(settings, appstream=appstream), settings, appstream)


def _record_handler(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    runtime = _runtime()
    attempt = Attempt.from_receive_count(
        record.attributes.approximate_receive_count, runtime.settings.max_receive_count
    )
    # Close to the timeout: hand this record back unprocessed (a batch item failure).
    Deadline(
        lambda_context.get_remaining_time_in_millis, runtime.settings.early_stop_margin_ms
    ).check(attempt)
    outcome = handle_message(
        record.body,
        runtime.enforcer,
        runtime.sweep,
        attempt=attempt,
        now=lambda: datetime.now(UTC),
    )
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
    _runtime()  # settings first: a misconfigured function fails before touching its batch
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
