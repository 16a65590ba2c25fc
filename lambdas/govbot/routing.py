"""Which AppStream CloudTrail events govbot subscribes to, as EventBridge patterns.

One definition serves the CDK rules and the sandbox's moto rules, read from the event
catalogue (``govbot.events.catalogue``) the parser reads too, so the deployed routing, the
tested routing and the parser can never drift apart.
"""

from __future__ import annotations

from typing import Any, Final

from govbot.events import catalogue
from govbot.events.catalogue import API_CALL, EVENT_SOURCE, SERVICE_EVENT, SOURCE
from govbot.queue_limits import MAX_RECEIVE_COUNT

__all__ = [
    "API_CALL",
    "EVENT_SOURCE",
    "MAX_RECEIVE_COUNT",
    "OUTBOX_STREAM_FILTER",
    "SERVICE_EVENT",
    "SOURCE",
    "enforcer_patterns",
    "excluding_principal",
    "governed_api_calls",
    "governed_event_names",
    "governed_service_events",
    "replicator_event_names",
    "replicator_patterns",
]


def governed_api_calls() -> tuple[str, ...]:
    """Mutating API calls that change an image, its sharing, its tags or what uses it."""
    return catalogue.event_names("api_call")


def governed_service_events() -> tuple[str, ...]:
    """Service events AppStream emits on its own (an image builder started a build)."""
    return catalogue.event_names("service_event")


def governed_event_names() -> frozenset[str]:
    """Every event name the enforcer queue receives."""
    return frozenset(catalogue.event_names())


def replicator_event_names(delivery: catalogue.spec.EventType) -> tuple[str, ...]:
    """Events of ``delivery`` that can start, advance or invalidate a golden image copy."""
    return tuple(s.name for s in catalogue.event_specs(delivery) if s.replicator is not None)


def _pattern(
    detail_type: str, names: tuple[str, ...], own_principal_prefix: str | None = None
) -> dict[str, Any]:
    pattern: dict[str, Any] = {
        "source": [SOURCE],
        "detail-type": [detail_type],
        "detail": {"eventSource": [EVENT_SOURCE], "eventName": list(names)},
    }
    if own_principal_prefix and detail_type == API_CALL:
        pattern["detail"].update(excluding_principal(own_principal_prefix))
    return pattern


def excluding_principal(prefix: str) -> dict[str, Any]:
    """The ``detail`` part of a pattern that drops calls made by principals whose ARN
    starts with ``prefix`` (govbot's own roles, ``arn:...:sts::ACCOUNT:assumed-role/NAME``).

    EventBridge's ``anything-but`` + ``prefix`` (one string: the documented form) matches
    only when the field exists, so a call without ``userIdentity.arn`` (an AWS service
    acting on its own) is kept by the second branch: nothing but govbot's calls is lost.

    >>> excluding_principal("arn:aws:sts::111122223333:assumed-role/GovbotHub-")["$or"][1]
    {'userIdentity': {'arn': [{'exists': False}]}}
    """
    if not prefix:
        raise ValueError("own principal prefix must not be empty (it would exclude every call)")
    return {
        "$or": [
            {"userIdentity": {"arn": [{"anything-but": {"prefix": prefix}}]}},
            {"userIdentity": {"arn": [{"exists": False}]}},
        ]
    }


def enforcer_patterns(own_principal_prefix: str | None = None) -> list[dict[str, Any]]:
    """EventBridge patterns of the events the enforcer queue receives (one rule each).

    ``own_principal_prefix``: govbot's own calls (its remedies, the replicator's copies)
    never reach the queue; service events are AppStream's own and always kept.
    """
    return _patterns(governed_api_calls(), governed_service_events(), own_principal_prefix)


def replicator_patterns(own_principal_prefix: str | None = None) -> list[dict[str, Any]]:
    """EventBridge patterns of the events the replicator queue receives (one rule each)."""
    return _patterns(
        replicator_event_names("api_call"),
        replicator_event_names("service_event"),
        own_principal_prefix,
    )


def _patterns(
    api_calls: tuple[str, ...], service_events: tuple[str, ...], own_principal_prefix: str | None
) -> list[dict[str, Any]]:
    # A rule naming no event is invalid in EventBridge: a family without names gets none.
    patterns = []
    if api_calls:
        patterns.append(_pattern(API_CALL, api_calls, own_principal_prefix))
    if service_events:
        patterns.append(_pattern(SERVICE_EVENT, service_events))
    return patterns


# Lambda event filter of the notifier's DynamoDB stream source: new outbox items only.
OUTBOX_STREAM_FILTER: Final[dict[str, Any]] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"kind": {"S": ["outbox"]}}},
}
