"""``CreateImageBuilder``: a builder started from an image (maybe another account's)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govbot.events.catalogue.spec import EventSpec, Facts, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import Arn, EventParams, ImageName, Tags, Text


class CreateImageBuilderParams(EventParams):
    """``name`` is the builder's name; the image is ``imageName`` or ``imageArn``."""

    operation: Literal["CreateImageBuilder"] = "CreateImageBuilder"
    name: Text
    image_name: ImageName | None = None
    image_arn: Arn | None = None
    instance_type: Text | None = None
    tags: Tags = Field(default_factory=dict)


def _facts(params: CreateImageBuilderParams) -> Facts:
    return Facts(image_name=params.image_name, image_arn=params.image_arn)


def _note(event: ParsedEvent) -> str:
    return "image builder created from this image"


SPEC = register_event(
    EventSpec(
        name="CreateImageBuilder",
        delivery="api_call",
        params=CreateImageBuilderParams,
        facts=_facts,
        enforcer="inbound",
        record_note=_note,
    )
)
