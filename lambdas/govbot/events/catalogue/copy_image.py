"""``CopyImage``: an image copied to a region (tags and sharing are not copied)."""

from __future__ import annotations

from typing import Literal

from govbot.domain import ImageRef, ImageSnapshot
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import EventParams, ImageName, Region, Text


class CopyImageParams(EventParams):
    operation: Literal["CopyImage"] = "CopyImage"
    source_image_name: ImageName
    destination_image_name: ImageName
    destination_region: Region
    destination_image_description: Text | None = None


def _facts(params: CopyImageParams) -> Facts:
    return Facts(
        image_name=params.source_image_name,
        fields={
            "source_image_name": params.source_image_name,
            "destination_region": params.destination_region,
            "destination_image_name": params.destination_image_name,
        },
    )


def _note(event: ParsedEvent) -> str:
    return (
        f"copy of {event.image_name} to {event.destination_region} as "
        f"{event.destination_image_name}: CopyImage copies neither tags nor sharing; "
        "golden images are restored by the replicator"
    )


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    if not (event.destination_region and event.destination_image_name):
        return WorldChange(image)
    copy = ImageRef(
        account_id=image.ref.account_id,
        region=event.destination_region,
        name=event.destination_image_name,
    )
    return WorldChange(image, made=(copy,))


SPEC = register_event(
    EventSpec(
        name="CopyImage",
        delivery="api_call",
        params=CopyImageParams,
        facts=_facts,
        record_note=_note,
        replicator="copied",
        makes_image="copy",
        world=_world,
    )
)
