"""Who made an image govbot did not make (for the report of a taken golden name).

The ledger records every governed AppStream event with its actor. An image in a
destination region was made by a ``CopyImage`` call (recorded under its *source* image,
with the destination in the request) or built there (``CreateImage``/``CreateUpdatedImage``,
recorded under the image itself). When neither is in the ledger the owner account is all
that is known.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govbot.domain import ImageRef
from govbot.events.coerce import get_key
from govbot.ledger.records.events import EventRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAKING_EVENTS = frozenset({"CopyImage", "CreateImage", "CreateUpdatedImage"})


@dataclass(frozen=True)
class Maker:
    """Who made an image: the actor of the recorded call, else only the account."""

    account_id: str
    actor_arn: str | None = None
    event_id: str | None = None
    event_name: str | None = None

    def describe(self) -> str:
        if self.actor_arn:
            return f"{self.actor_arn} ({self.event_name} {self.event_id})"
        return f"account {self.account_id} (no recorded call names who made it)"


def _request(record: EventRecord) -> dict[str, Any]:
    try:
        envelope = json.loads(record.raw)
        params = get_key(get_key(envelope, "detail") or {}, "requestParameters")
    except (ValueError, TypeError, AttributeError):
        return {}
    return params if isinstance(params, dict) else {}


def _copied_to(record: EventRecord, image: ImageRef) -> bool:
    """True when the recorded CopyImage call made ``image`` (region and name match)."""
    params = _request(record)
    region = get_key(params, "destinationRegion")
    name = get_key(params, "destinationImageName")
    return region == image.region and name == image.name


def find_maker(image: ImageRef, own_events: Iterable[Any], source_events: Iterable[Any]) -> Maker:
    """The latest recorded call that made ``image``.

    ``own_events``: ledger records under the image's ARN; ``source_events``: under the ARN
    of the image it may have been copied from.
    """
    candidates: list[EventRecord] = []
    for record in own_events:
        if isinstance(record, EventRecord) and record.event_name in MAKING_EVENTS - {"CopyImage"}:
            candidates.append(record)
    for record in source_events:
        if (
            isinstance(record, EventRecord)
            and record.event_name == "CopyImage"
            and _copied_to(record, image)
        ):
            candidates.append(record)
    found = [r for r in candidates if r.actor_arn and r.status != "rejected"]
    if not found:
        return Maker(account_id=image.account_id)
    latest = max(found, key=lambda r: (r.timestamp() or _EPOCH, r.event_id))
    return Maker(
        account_id=image.account_id,
        actor_arn=latest.actor_arn,
        event_id=latest.event_id,
        event_name=latest.event_name,
    )
