"""``UpdateImageBuilder``: a builder's AI agent access (``AgentAccessConfig``) changed.
The event names the builder, not its image: recorded here (who changed what); the drift
sweep judges the builder through the image it was made from (``builder_agent_access``)."""

from __future__ import annotations

from typing import Any, Literal

from govbot.events.catalogue.spec import EventSpec, Facts, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import EventParams, StrTuple, Text


class UpdateImageBuilderParams(EventParams):
    operation: Literal["UpdateImageBuilder"] = "UpdateImageBuilder"
    name: Text
    agent_access_config: dict[str, Any] | None = None
    attributes_to_delete: StrTuple = ()


def _facts(params: UpdateImageBuilderParams) -> Facts:
    return Facts()


def _note(event: ParsedEvent) -> str:
    params = event.params
    name = getattr(params, "name", "?")
    access = getattr(params, "agent_access_config", None) or {}
    enabled = sorted(
        str(s.get("agentAction") or s.get("AgentAction"))
        for s in access.get("settings") or access.get("Settings") or []
        if str(s.get("permission") or s.get("Permission")) == "ENABLED"
    )
    deleted = "AGENT_ACCESS_CONFIG" in (getattr(params, "attributes_to_delete", ()) or ())
    what = (
        "agent access removed"
        if deleted
        else f"agent actions enabled: {', '.join(enabled) or 'none'}"
        if access
        else "display name or description changed"
    )
    return f"image builder {name} updated by {event.actor_arn or 'unknown'}: {what}"


SPEC = register_event(
    EventSpec(
        name="UpdateImageBuilder",
        delivery="api_call",
        params=UpdateImageBuilderParams,
        facts=_facts,
        record_note=_note,
    )
)
