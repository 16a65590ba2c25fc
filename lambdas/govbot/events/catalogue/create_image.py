"""``CreateImage`` service event: an image builder started building an image.

``serviceEventDetails`` is PascalCase on the wire; ``ImageDisPlayName`` (AWS's spelling)
matches ``image_display_name`` because keys are compared ignoring case. ``image_state`` is
PENDING: the event marks a build's start, not its end.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.effects import with_tags
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import EventParams, Flag, ImageName, Text, Timestamp


class CreateImageServiceDetails(EventParams):
    """``serviceEventDetails`` of the CreateImage service event (PascalCase on the wire)."""

    model_config = ConfigDict(defer_build=True, alias_generator=to_pascal)

    operation: Literal["CreateImage"] = Field(default="CreateImage", alias="operation")
    image_name: ImageName
    image_state: Text | None = None
    image_platform: Text | None = None
    image_display_name: Text | None = None
    image_description: Text | None = None
    image_builder_supported: Flag = None
    image_created_time: Timestamp = None
    public_base_image_released_date: Timestamp = None


def _facts(params: CreateImageServiceDetails) -> Facts:
    return Facts(image_name=params.image_name, fields={"image_state": params.image_state})


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    return WorldChange(with_tags(image, event.tags))


SPEC = register_event(
    EventSpec(
        name="CreateImage",
        delivery="service_event",
        params=CreateImageServiceDetails,
        facts=_facts,
        enforcer="evaluate",
        replicator="replicate",
        makes_image="itself",
        world=_world,
        implies_image=True,
    )
)
