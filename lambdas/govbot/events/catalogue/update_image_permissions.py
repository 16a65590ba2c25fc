"""``UpdateImagePermissions``: an image shared with an account, or its grant changed."""

from __future__ import annotations

from typing import Literal

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.effects import shares_of, with_shares
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import AccountId, EventParams, ImageName, ImagePermissionsParams


class UpdateImagePermissionsParams(EventParams):
    operation: Literal["UpdateImagePermissions"] = "UpdateImagePermissions"
    name: ImageName
    shared_account_id: AccountId
    image_permissions: ImagePermissionsParams


def _facts(params: UpdateImagePermissionsParams) -> Facts:
    return Facts(
        image_name=params.name,
        fields={
            "shared_account_id": params.shared_account_id,
            "permissions": params.image_permissions.to_permissions(),
        },
    )


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    if not (event.shared_account_id and event.permissions):
        return WorldChange(image)
    shares = shares_of(image)
    shares[event.shared_account_id] = event.permissions
    return WorldChange(with_shares(image, shares))


SPEC = register_event(
    EventSpec(
        name="UpdateImagePermissions",
        delivery="api_call",
        params=UpdateImagePermissionsParams,
        facts=_facts,
        enforcer="evaluate",
        world=_world,
        implies_image=True,
    )
)
