"""The parts of the Lambda service the sandbox plays: contexts and event envelopes.

Each builder returns exactly the shape AWS hands a function: an SQS batch record, a
DynamoDB stream record (JSON-safe, as Lambda delivers it), EventBridge's "Scheduled Event".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

HUB_ACCOUNT = "123456789012"  # moto's default account


@dataclass
class LambdaContextStub:
    """The parts of the Lambda context object Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining: Callable[[], int] = lambda: 60_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:{HUB_ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining()


def scheduled_event(
    rule_name: str, now: datetime, region: str, *, event_id: str | None = None
) -> dict[str, Any]:
    """EventBridge's ``Scheduled Event`` envelope, as a schedule rule delivers it."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": HUB_ACCOUNT,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{HUB_ACCOUNT}:rule/{rule_name}"],
        "detail": {},
    }


def sqs_record(
    body: str, message_id: str, arn: str = "", *, receive_count: str = "1"
) -> dict[str, Any]:
    """An SQS batch record; ``receive_count`` is SQS's ``ApproximateReceiveCount``."""
    return {
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": receive_count,
            "SentTimestamp": str(int(datetime.now(UTC).timestamp() * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def jsonable(value: Any) -> Any:
    """Stream records from boto3 carry datetimes; Lambda delivers them as epoch numbers."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return value.decode()
    return value
