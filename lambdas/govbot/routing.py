"""Which AppStream CloudTrail events govbot subscribes to, as EventBridge patterns.

One definition serves the CDK rules, the sandbox's moto rules and the event parser, so the
deployed routing and the tested routing can never drift apart.
"""

from __future__ import annotations

from typing import Any, Final

API_CALL: Final = "AWS API Call via CloudTrail"
SERVICE_EVENT: Final = "AWS Service Event via CloudTrail"
SOURCE: Final = "aws.appstream"
EVENT_SOURCE: Final = "appstream.amazonaws.com"

# How many times SQS hands a message to a function before dead-lettering it. One value for
# the deployed queues (infra), the enforcer (which knows its last attempt from it) and the
# sandbox that plays SQS.
MAX_RECEIVE_COUNT: Final = 5

# The notifier's timeout: a Slack post starts only when the invocation can wait its answer
# (every attempt's full timeout, ~2 min per route), so it must hold a route or two. One
# value for infra and the sandbox's Lambda context.
NOTIFIER_TIMEOUT_SECONDS: Final = 300

# Mutating API calls that change an image, its sharing, its tags or what uses it.
GOVERNED_API_CALLS: Final[tuple[str, ...]] = (
    "UpdateImagePermissions",
    "DeleteImagePermissions",
    "CopyImage",
    "DeleteImage",
    "CreateUpdatedImage",
    "CreateImageBuilder",
    "CreateFleet",
    "UpdateFleet",
    "TagResource",
    "UntagResource",
)
# Service events AppStream emits on its own (an image builder started an image build).
GOVERNED_SERVICE_EVENTS: Final[tuple[str, ...]] = ("CreateImage",)
GOVERNED_EVENT_NAMES: Final[frozenset[str]] = frozenset(
    GOVERNED_API_CALLS + GOVERNED_SERVICE_EVENTS
)

# Events that can start, advance or invalidate a golden image copy.
REPLICATION_API_CALLS: Final[tuple[str, ...]] = (
    "TagResource",
    "CreateUpdatedImage",
    "DeleteImage",
    "CopyImage",
)


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
    return [
        _pattern(API_CALL, GOVERNED_API_CALLS, own_principal_prefix),
        _pattern(SERVICE_EVENT, GOVERNED_SERVICE_EVENTS),
    ]


def replicator_patterns(own_principal_prefix: str | None = None) -> list[dict[str, Any]]:
    """EventBridge patterns of the events the replicator queue receives (one rule each)."""
    return [
        _pattern(API_CALL, REPLICATION_API_CALLS, own_principal_prefix),
        _pattern(SERVICE_EVENT, GOVERNED_SERVICE_EVENTS),
    ]


# Lambda event filter of the notifier's DynamoDB stream source: new outbox items only.
OUTBOX_STREAM_FILTER: Final[dict[str, Any]] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"kind": {"S": ["outbox"]}}},
}
