"""Event intake: typed models of AppStream CloudTrail events, their catalogue and the parser."""

from govbot.events.catalogue import (
    CopyImageParams,
    CreateFleetParams,
    CreateImageBuilderParams,
    CreateImageServiceDetails,
    CreateUpdatedImageParams,
    DeleteImageParams,
    DeleteImagePermissionsParams,
    EventSpec,
    TagResourceParams,
    UntagResourceParams,
    UpdateFleetParams,
    UpdateImagePermissionsParams,
    event_names,
    event_spec,
    event_specs,
)
from govbot.events.envelope import (
    DETAIL_TYPE_API_CALL,
    DETAIL_TYPE_SERVICE_EVENT,
    EVENT_SOURCE,
    SOURCE,
    envelope_for,
)
from govbot.events.models import EventContext, EventType, IgnoredEvent, ParsedEvent, RejectedEvent
from govbot.events.params import EventParams, ImagePermissionsParams
from govbot.events.parser import parse_event

__all__ = [
    "DETAIL_TYPE_API_CALL",
    "DETAIL_TYPE_SERVICE_EVENT",
    "EVENT_SOURCE",
    "SOURCE",
    "CopyImageParams",
    "CreateFleetParams",
    "CreateImageBuilderParams",
    "CreateImageServiceDetails",
    "CreateUpdatedImageParams",
    "DeleteImageParams",
    "DeleteImagePermissionsParams",
    "EventContext",
    "EventParams",
    "EventSpec",
    "EventType",
    "IgnoredEvent",
    "ImagePermissionsParams",
    "ParsedEvent",
    "RejectedEvent",
    "TagResourceParams",
    "UntagResourceParams",
    "UpdateFleetParams",
    "UpdateImagePermissionsParams",
    "envelope_for",
    "event_names",
    "event_spec",
    "event_specs",
    "parse_event",
]
