"""A person opens a session on an image builder (``CreateImageBuilderStreamingURL``),
starts one (``StartImageBuilder``) or stops it (``StopImageBuilder``): recorded with who
did it, so the ledger tells who accessed the builder a golden image came from, and when
that access could begin and end (``govbot ledger``)."""

from __future__ import annotations

from typing import Literal

from govbot.events.catalogue.spec import EventSpec, Facts, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import EventParams, Text


class CreateImageBuilderStreamingURLParams(EventParams):
    operation: Literal["CreateImageBuilderStreamingURL"] = "CreateImageBuilderStreamingURL"
    name: Text


class StartImageBuilderParams(EventParams):
    operation: Literal["StartImageBuilder"] = "StartImageBuilder"
    name: Text


class StopImageBuilderParams(EventParams):
    operation: Literal["StopImageBuilder"] = "StopImageBuilder"
    name: Text


def _facts(params: EventParams) -> Facts:
    return Facts()


def _session_note(event: ParsedEvent) -> str:
    name = getattr(event.params, "name", "?")
    return f"streaming session to image builder {name} opened by {event.actor_arn or 'unknown'}"


def _start_note(event: ParsedEvent) -> str:
    name = getattr(event.params, "name", "?")
    return f"image builder {name} started by {event.actor_arn or 'unknown'}"


def _stop_note(event: ParsedEvent) -> str:
    name = getattr(event.params, "name", "?")
    return f"image builder {name} stopped by {event.actor_arn or 'unknown'}"


SESSION_SPEC = register_event(
    EventSpec(
        name="CreateImageBuilderStreamingURL",
        delivery="api_call",
        params=CreateImageBuilderStreamingURLParams,
        facts=_facts,
        record_note=_session_note,
    )
)
START_SPEC = register_event(
    EventSpec(
        name="StartImageBuilder",
        delivery="api_call",
        params=StartImageBuilderParams,
        facts=_facts,
        record_note=_start_note,
    )
)
STOP_SPEC = register_event(
    EventSpec(
        name="StopImageBuilder",
        delivery="api_call",
        params=StopImageBuilderParams,
        facts=_facts,
        record_note=_stop_note,
    )
)
