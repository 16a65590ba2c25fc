"""``UntagResource``: tags removed from a resource."""

from __future__ import annotations

from typing import Literal

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import Arn, EventParams, StrTuple


class UntagResourceParams(EventParams):
    operation: Literal["UntagResource"] = "UntagResource"
    resource_arn: Arn
    tag_keys: StrTuple = ()


def _facts(params: UntagResourceParams) -> Facts:
    return Facts(image_arn=params.resource_arn, fields={"tag_keys": params.tag_keys})


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    tags = {k: v for k, v in image.tags.items() if k not in event.tag_keys}
    return WorldChange(image.model_copy(update={"tags": tags}))


SPEC = register_event(
    EventSpec(
        name="UntagResource",
        delivery="api_call",
        params=UntagResourceParams,
        facts=_facts,
        enforcer="evaluate",
        world=_world,
        implies_image=True,
    )
)
