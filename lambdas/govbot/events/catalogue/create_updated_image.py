"""``CreateUpdatedImage``: a new image made from an existing one (with new tags)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.effects import with_tags
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import EventParams, Flag, ImageName, Tags, Text


class CreateUpdatedImageParams(EventParams):
    operation: Literal["CreateUpdatedImage"] = "CreateUpdatedImage"
    existing_image_name: ImageName
    new_image_name: ImageName
    new_image_description: Text | None = None
    new_image_display_name: Text | None = None
    new_image_tags: Tags = Field(default_factory=dict)
    dry_run: Flag = None


def _facts(params: CreateUpdatedImageParams) -> Facts:
    return Facts(
        image_name=params.new_image_name,
        fields={"source_image_name": params.existing_image_name, "tags": params.new_image_tags},
    )


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    return WorldChange(with_tags(image, event.tags))


SPEC = register_event(
    EventSpec(
        name="CreateUpdatedImage",
        delivery="api_call",
        params=CreateUpdatedImageParams,
        facts=_facts,
        enforcer="evaluate",
        replicator="replicate",
        makes_image="itself",
        world=_world,
        implies_image=True,
    )
)
