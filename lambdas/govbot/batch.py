"""Partial batch responses for the SQS and DynamoDB stream event sources.

What Powertools' ``BatchProcessor`` does for govbot, in the few lines govbot needs: each
record is handled on its own, a record that raises is logged and reported in
``batchItemFailures`` (Lambda retries only those, then dead-letters them), and the rest
of the batch is unaffected. Written here because importing Powertools' batch utility
(its record models for every event source) cost each handler's cold start 90-110 ms of
CPU on top of pydantic and Powertools' logger (measured, three fresh processes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)


class HandBack(Exception):
    """Raised by a record handler that hands its record back on purpose (a transient
    failure already recorded): logged as one warning line, without a traceback, since a
    throttling storm would otherwise print one per record per attempt."""


class BatchFailed(RuntimeError):
    """Every record of the batch failed: the invocation fails, as Powertools' did, so
    Lambda's own retry (and the queue's redrive policy) apply to the whole batch."""


def _records(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError(f"expected a batch event with a 'Records' list; got keys {sorted(event)}")
    return records


def _run(
    records: list[dict[str, Any]],
    handle: Callable[[dict[str, Any]], Any],
    identifier: Callable[[dict[str, Any]], str],
    *,
    raise_on_entire_failure: bool,
) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    for record in records:
        try:
            handle(record)
        except HandBack as exc:
            logger.warning("batch record %s handed back to be retried: %s", identifier(record), exc)
            failures.append({"itemIdentifier": identifier(record)})
        except Exception:
            logger.exception("batch record %s failed; it will be retried", identifier(record))
            failures.append({"itemIdentifier": identifier(record)})
    if raise_on_entire_failure and records and len(failures) == len(records):
        raise BatchFailed(f"all {len(records)} records of the batch failed")
    return {"batchItemFailures": failures}


def sqs_batch(
    event: Mapping[str, Any],
    handle_body: Callable[[str], Any],
    *,
    raise_on_entire_failure: bool = True,
) -> dict[str, Any]:
    """Handle each SQS message body; failed ones are reported by ``messageId``."""
    return _run(
        _records(event),
        lambda record: handle_body(str(record.get("body", ""))),
        lambda record: str(record.get("messageId", "")),
        raise_on_entire_failure=raise_on_entire_failure,
    )


def sqs_records(
    event: Mapping[str, Any],
    handle_record: Callable[[dict[str, Any]], Any],
    *,
    raise_on_entire_failure: bool = True,
) -> dict[str, Any]:
    """Handle each whole SQS record (its attributes too, e.g. the receive count)."""
    return _run(
        _records(event),
        handle_record,
        lambda record: str(record.get("messageId", "")),
        raise_on_entire_failure=raise_on_entire_failure,
    )


def stream_batch(
    event: Mapping[str, Any],
    handle_record: Callable[[dict[str, Any]], Any],
    *,
    raise_on_entire_failure: bool = False,
) -> dict[str, Any]:
    """Handle each DynamoDB stream record; failed ones are reported by sequence number."""
    return _run(
        _records(event),
        handle_record,
        lambda record: str((record.get("dynamodb") or {}).get("SequenceNumber", "")),
        raise_on_entire_failure=raise_on_entire_failure,
    )
