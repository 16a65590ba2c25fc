"""``UpdateFleet``: a fleet changed; an image change shows as ``imageName``/``imageArn``."""

from __future__ import annotations

from typing import Literal

from govbot.events.catalogue.spec import EventSpec, Facts, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import Arn, EventParams, ImageName, Text


class UpdateFleetParams(EventParams):
    """Every member is optional in the API; an image change shows as imageName/imageArn."""

    operation: Literal["UpdateFleet"] = "UpdateFleet"
    name: Text | None = None
    image_name: ImageName | None = None
    image_arn: Arn | None = None
    instance_type: Text | None = None


def _facts(params: UpdateFleetParams) -> Facts:
    return Facts(image_name=params.image_name, image_arn=params.image_arn)


def _note(event: ParsedEvent) -> str:
    return "fleet updated"


SPEC = register_event(
    EventSpec(
        name="UpdateFleet",
        delivery="api_call",
        params=UpdateFleetParams,
        facts=_facts,
        enforcer="inbound",
        record_note=_note,
    )
)
