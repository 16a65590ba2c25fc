"""Who made an image govbot did not make (for the report of a taken golden name).

The ledger records every governed AppStream event with its actor. An image in a
destination region was made by a copy (an event whose spec says ``makes_image="copy"``:
``CopyImage``, recorded under its *source* image, with the destination in the request) or
made there (``makes_image="itself"``: ``CreateImage``, ``CreateUpdatedImage``, recorded
under the image itself). When neither is in the ledger the owner account is all
that is known.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from govbot.domain import ImageRef
from govbot.events import EventSpec, event_spec
from govbot.events.catalogue import MakesImage
from govbot.events.coerce import get_key
from govbot.ledger.records.events import EventRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def _makes(record: EventRecord, how: MakesImage) -> EventSpec[Any] | None:
    """``record``'s spec when its event made an image ``how`` (None otherwise)."""
    spec = event_spec(record.event_name) if record.event_name else None
    return spec if spec is not None and spec.makes_image == how else None


def _request(record: EventRecord) -> dict[str, Any]:
    try:
        envelope = json.loads(record.raw)
        params = get_key(get_key(envelope, "detail") or {}, "requestParameters")
    except (ValueError, TypeError, AttributeError):
        return {}
    return params if isinstance(params, dict) else {}


def _copied_to(record: EventRecord, image: ImageRef) -> bool:
    """True when the recorded copy made ``image``: the destination its spec's facts name
    (``destination_region``, ``destination_image_name``) is the image's region and name."""
    spec = _makes(record, "copy")
    if spec is None:
        return False
    try:
        facts = spec.facts_of(spec.params.model_validate(_request(record))).fields
    except (ValidationError, TypeError):
        return False
    return (
        facts.get("destination_region") == image.region
        and facts.get("destination_image_name") == image.name
    )


def find_maker(image: ImageRef, own_events: Iterable[Any], source_events: Iterable[Any]) -> Maker:
    """The latest recorded call that made ``image``.

    ``own_events``: ledger records under the image's ARN; ``source_events``: under the ARN
    of the image it may have been copied from.
    """
    candidates: list[EventRecord] = []
    for record in own_events:
        if isinstance(record, EventRecord) and _makes(record, "itself"):
            candidates.append(record)
    for record in source_events:
        if isinstance(record, EventRecord) and _copied_to(record, image):
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
