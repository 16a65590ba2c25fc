"""The one answer to "is this invocation a schedule's?" for every handler.

EventBridge rules deliver the ``Scheduled Event`` envelope (source ``aws.events``);
EventBridge Scheduler delivers its input, which govbot's stacks give the same shape
(source ``aws.scheduler``). An SQS or stream batch (``Records``) never is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEDULE_SOURCES = frozenset({"aws.events", "aws.scheduler"})
SCHEDULED_DETAIL_TYPE = "Scheduled Event"


def is_scheduled(event: object) -> bool:
    """True for a schedule's invocation (EventBridge rule or EventBridge Scheduler).

    >>> is_scheduled({"detail-type": "Scheduled Event", "source": "aws.events"})
    True
    >>> is_scheduled({"Records": [], "source": "aws.events"})
    False
    """
    if not isinstance(event, Mapping) or "Records" in event:
        return False
    fields: Mapping[str, Any] = event
    source = fields.get("source")  # anything may arrive here: a list is not hashable
    return fields.get("detail-type") == SCHEDULED_DETAIL_TYPE or (
        isinstance(source, str) and source in SCHEDULE_SOURCES
    )
