"""The EventBridge envelope of an AppStream CloudTrail record, read from the outside in.

``envelope_for`` builds one the way EventBridge delivers it. The readers say what an
envelope claims about itself before anything in it is validated (its ``EventContext``,
kept with a rejection) and cross-check the fields it carries twice (account and region,
in the envelope and in the detail). Pure: a reader adds its problem to ``problems`` and
never raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from govbot.events import catalogue
from govbot.events.coerce import get_key, shorten, squeeze
from govbot.events.models import EventContext
from govbot.events.safety import safe_text

# The envelope constants are defined once, with the event catalogue.
SOURCE = catalogue.SOURCE
EVENT_SOURCE = catalogue.EVENT_SOURCE
DETAIL_TYPE_API_CALL = catalogue.API_CALL
DETAIL_TYPE_SERVICE_EVENT = catalogue.SERVICE_EVENT

MAX_CONTEXT_CHARS = 128  # event name, source, account, region kept with a rejection


def envelope_for(record: Mapping[str, Any], *, envelope_id: str | None = None) -> dict[str, Any]:
    """Wrap a CloudTrail record the way EventBridge delivers it (for sandbox, tests, replay)."""
    service_event = record.get("eventType") == "AwsServiceEvent"
    return {
        "version": "0",
        "id": envelope_id or str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE_SERVICE_EVENT if service_event else DETAIL_TYPE_API_CALL,
        "source": SOURCE,
        "account": record.get("recipientAccountId"),
        "time": record.get("eventTime"),
        "region": record.get("awsRegion"),
        "resources": [],
        "detail": dict(record),
    }


def text_field(data: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    """``data[key]`` stripped (any casing of ``key``); None when absent or blank, and a
    problem when it is there but not a string."""
    value = get_key(data, key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{where}.{key} must be a string, found {type(value).__name__}")
        return None
    return value.strip() or None


def _label(value: object) -> str | None:
    """A context field: a non-blank string, shortened in the middle when very long."""
    if not isinstance(value, str) or not value.strip():
        return None
    return squeeze(safe_text(value.strip()), MAX_CONTEXT_CHARS)


def context_of(envelope: Mapping[str, Any], detail: Mapping[str, Any]) -> EventContext:
    """What the input says about itself, before any of it is validated."""
    return EventContext(
        event_id=_label(get_key(detail, "eventID")),
        event_name=_label(get_key(detail, "eventName")),
        event_source=_label(get_key(detail, "eventSource")) or _label(get_key(envelope, "source")),
        account_id=_label(get_key(detail, "recipientAccountId"))
        or _label(get_key(envelope, "account")),
        region=_label(get_key(detail, "awsRegion")) or _label(get_key(envelope, "region")),
    )


def consistent_field(
    envelope: Mapping[str, Any],
    detail: Mapping[str, Any],
    env_key: str,
    key: str,
    problems: list[str],
) -> str | None:
    """The detail's value, cross-checked against the envelope's (a mismatch is suspicious)."""
    inner = get_key(detail, key)
    outer = get_key(envelope, env_key)
    for where, value in ((f"detail.{key}", inner), (f"envelope field {env_key!r}", outer)):
        if value is not None and not isinstance(value, str):
            problems.append(f"{where} must be a string, found {type(value).__name__}")
    inner = inner.strip() if isinstance(inner, str) else None
    outer = outer.strip() if isinstance(outer, str) else None
    if inner and outer and inner != outer:
        problems.append(
            f"detail.{key} {shorten(inner)} does not match envelope field {env_key!r} "
            f"{shorten(outer)}"
        )
        return None
    value = inner or outer
    if not value:
        problems.append(f"detail.{key} (or envelope field {env_key!r}) is missing")
        return None
    return value
