"""``DeleteImagePermissions``: an image no longer shared with an account."""

from __future__ import annotations

from typing import Literal

from govbot.domain import ImageSnapshot
from govbot.events.catalogue.effects import shares_of, with_shares
from govbot.events.catalogue.spec import EventSpec, Facts, WorldChange, register_event
from govbot.events.models import ParsedEvent
from govbot.events.params import AccountId, EventParams, ImageName


class DeleteImagePermissionsParams(EventParams):
    operation: Literal["DeleteImagePermissions"] = "DeleteImagePermissions"
    name: ImageName
    shared_account_id: AccountId


def _facts(params: DeleteImagePermissionsParams) -> Facts:
    return Facts(image_name=params.name, fields={"shared_account_id": params.shared_account_id})


def _world(image: ImageSnapshot, event: ParsedEvent) -> WorldChange:
    if not event.shared_account_id:
        return WorldChange(image)
    shares = shares_of(image)
    shares.pop(event.shared_account_id, None)
    return WorldChange(with_shares(image, shares))


SPEC = register_event(
    EventSpec(
        name="DeleteImagePermissions",
        delivery="api_call",
        params=DeleteImagePermissionsParams,
        facts=_facts,
        enforcer="evaluate",
        world=_world,
        implies_image=True,
    )
)
