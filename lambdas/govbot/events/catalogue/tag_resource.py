"""``TagResource``: tags added to a resource (an image's tags select rules and golden)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.effects import with_tags
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import Arn, EventParams, Tags


class TagResourceParams(EventParams):
    operation: Literal["TagResource"] = "TagResource"
    resource_arn: Arn
    tags: Tags = Field(default_factory=dict)


def _facts(params: TagResourceParams) -> Facts:
    return Facts(image_arn=params.resource_arn, fields={"tags": params.tags})


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    return WorldChange(with_tags(image, event.tags))


SPEC = register_event(
    EventSpec(
        name="TagResource",
        delivery="api_call",
        params=TagResourceParams,
        facts=_facts,
        enforcer="evaluate",
        replicator="replicate",
        world=_world,
        implies_image=True,
    )
)
