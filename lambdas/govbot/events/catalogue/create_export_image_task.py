"""``CreateExportImageTask``: an image exported to an EC2 AMI, which EC2 launch permissions
can then share outside AppStream. The enforcer reads the image's exports (and the AMIs'
launch permissions) and judges them (``no_export``, ``exported_ami_launch_only_trusted``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govbot.events.catalogue.spec import EventSpec, Facts, register_event
from govbot.events.params import Arn, EventParams, ImageName, Tags, Text


class CreateExportImageTaskParams(EventParams):
    operation: Literal["CreateExportImageTask"] = "CreateExportImageTask"
    image_name: ImageName
    ami_name: Text
    iam_role_arn: Arn | None = None
    tag_specifications: Tags = Field(default_factory=dict)
    ami_description: Text | None = None


def _facts(params: CreateExportImageTaskParams) -> Facts:
    return Facts(image_name=params.image_name)


SPEC = register_event(
    EventSpec(
        name="CreateExportImageTask",
        delivery="api_call",
        params=CreateExportImageTaskParams,
        facts=_facts,
        enforcer="evaluate",
    )
)
