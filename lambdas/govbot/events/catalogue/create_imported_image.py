"""``CreateImportedImage``: an image created from an EC2 AMI or a WorkSpaces image, with an
IAM role. An image creation like any other (golden families included); the enforcer judges
its source (``imported_image_trusted``: the AMI's owner, the role, the tags)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.effects import with_tags
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import Arn, EventParams, Flag, ImageName, Tags, Text


class CreateImportedImageParams(EventParams):
    operation: Literal["CreateImportedImage"] = "CreateImportedImage"
    name: ImageName
    source_ami_id: Text | None = None
    workspace_image_id: Text | None = None
    iam_role_arn: Arn | None = None
    tags: Tags = Field(default_factory=dict)
    dry_run: Flag = None


def _facts(params: CreateImportedImageParams) -> Facts:
    return Facts(image_name=params.name, fields={"tags": params.tags})


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    return WorldChange(with_tags(image, event.tags))


SPEC = register_event(
    EventSpec(
        name="CreateImportedImage",
        delivery="api_call",
        params=CreateImportedImageParams,
        facts=_facts,
        enforcer="evaluate",
        replicator="replicate",
        makes_image="itself",
        world=_world,
        implies_image=True,
    )
)
