"""``DeleteImage``: an image deleted (its findings resolve; golden copies are reported)."""

from __future__ import annotations

from typing import Literal

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import EventParams, ImageName


class DeleteImageParams(EventParams):
    operation: Literal["DeleteImage"] = "DeleteImage"
    name: ImageName


def _facts(params: DeleteImageParams) -> Facts:
    return Facts(image_name=params.name)


def _note(event: ParsedEvent) -> str:
    return f"image {event.image_name} deleted; golden sources are handled by the replicator"


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    return WorldChange(None)


SPEC = register_event(
    EventSpec(
        name="DeleteImage",
        delivery="api_call",
        params=DeleteImageParams,
        facts=_facts,
        enforcer="deleted",
        record_note=_note,
        replicator="deleted",
        world=_world,
    )
)
