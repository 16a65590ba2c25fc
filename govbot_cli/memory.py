"""In-memory adapters of the enforcer's ports (``govbot.enforcer.ports``) for ``simulate``.

They keep the contracts of the real gateways the enforcer relies on: AppStream's share list
changes as UpdateImagePermissions/DeleteImagePermissions change it (deleting an absent share
is ImageNotFound); the ledger records an event once, commits an outcome only while the event
is still ``received`` and never overwrites an existing outbox item. No AWS, no moto.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.appstream import BuilderUsage, FleetUsage, ImageNotFound
from govbot.ledger.errors import EventNotRecorded
from govbot.ledger.keys import rejected_event_id
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.inputs import OutcomeCommit, UnhandledInput
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState, ExemptionRecord


class MemoryAppStream:
    """The AppStream gateway over a dictionary of images keyed by ARN."""

    def __init__(self, images: Sequence[ImageSnapshot]) -> None:
        self.images: dict[str, ImageSnapshot] = {i.ref.arn: i for i in images}

    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None:
        return self.images.get(ref.arn)

    def list_images(self, account_id: str, region: str) -> Iterator[ImageSnapshot]:
        for image in self.images.values():
            if image.ref.account_id == account_id and image.ref.region == region:
                yield image

    def update_permissions(self, ref: ImageRef, account_id: str, permissions: Permissions) -> None:
        image = self._image(ref, "UpdateImagePermissions")
        shares = {s.account_id: s.permissions for s in image.shared_with}
        shares[account_id] = permissions
        self._store(image, shares)

    def delete_permissions(self, ref: ImageRef, account_id: str) -> None:
        image = self._image(ref, "DeleteImagePermissions")
        shares = {s.account_id: s.permissions for s in image.shared_with}
        if account_id not in shares:
            raise ImageNotFound(
                "ResourceNotFoundException",
                "DeleteImagePermissions",
                f"image {ref.name} is not shared with {account_id}",
            )
        del shares[account_id]
        self._store(image, shares)

    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]:
        """None listed: world fleets carry no owner account or capacity to report."""
        return []

    def builders_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[BuilderUsage]:
        """None listed: the world file has no image builders."""
        return []

    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]:
        """None: world fleets carry no owner account (nothing inbound to judge offline)."""
        return []

    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]:
        """None: the world file has no image builders."""
        return []

    def apply(self, image: ImageSnapshot) -> None:
        """Put ``image`` in place as the event that is being simulated left it."""
        self.images[image.ref.arn] = image

    def _image(self, ref: ImageRef, operation: str) -> ImageSnapshot:
        image = self.images.get(ref.arn)
        if image is None:
            raise ImageNotFound("ResourceNotFoundException", operation, f"no image {ref.arn}")
        return image

    def _store(self, image: ImageSnapshot, shares: dict[str, Permissions]) -> None:
        shared = tuple(
            SharedAccountPermission(account_id=a, permissions=p) for a, p in sorted(shares.items())
        )
        self.images[image.ref.arn] = image.model_copy(update={"shared_with": shared})


class MemoryLedger:
    """The enforcer's LedgerPort over dictionaries, in the order things were written."""

    def __init__(self, clock: object) -> None:
        self._clock = clock
        self.events: dict[str, EventRecord] = {}
        self.decisions: dict[str, dict[str, DecisionRecord]] = {}
        self.actions: dict[str, dict[str, ActionRecord]] = {}
        self.outbox: dict[str, OutboxItem] = {}
        self.exemptions: dict[str, ExemptionRecord] = {}
        self.announced: dict[str, AnnouncedState] = {}

    def _now(self) -> datetime:
        now = self._clock()  # type: ignore[operator]
        assert isinstance(now, datetime)
        return now

    def record_event(self, rec: EventRecord) -> bool:
        if rec.event_id in self.events:
            return False
        self.events[rec.event_id] = rec.stamped(self._now())
        return True

    def record_unhandled(self, unhandled: UnhandledInput) -> str:
        claimed = None
        if unhandled.status == "rejected":  # keyed apart, as the ledger does
            rec_id, claimed = rejected_event_id(unhandled.raw), unhandled.event_id
        else:
            rec_id = unhandled.event_id or rejected_event_id(unhandled.raw)
        record = EventRecord(
            event_id=rec_id,
            claimed_event_id=claimed,
            status=unhandled.status,
            reason=unhandled.reason,
            raw=unhandled.raw,
            received_at=unhandled.received_at,
            event_name=unhandled.event_name,
            event_source=unhandled.event_source,
            account_id=unhandled.account_id,
            region=unhandled.region,
        )
        self.events.setdefault(rec_id, record)
        return rec_id

    def record_rejected(
        self, *, reason: str, raw: str, received_at: datetime, **labels: str | None
    ) -> str:
        """:meth:`record_unhandled` of a rejection, by keyword (the Slack ``RefusalLog``)."""
        return self.record_unhandled(UnhandledInput("rejected", reason, raw, received_at, **labels))

    def get_event(self, event_id: str) -> EventBundle:
        actions = sorted(self.actions.get(event_id, {}).values(), key=lambda a: a.seq)
        return EventBundle(
            event_id=event_id,
            event=self.events.get(event_id),
            decisions=tuple(self.decisions.get(event_id, {}).values()),
            actions=tuple(actions),
        )

    def put_action(self, action: ActionRecord) -> None:
        self.actions.setdefault(action.event_id, {})[action.keys()[1]] = action.stamped(self._now())

    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        for decision in decisions:
            self._put_decision(decision)

    def commit_outcome(self, commit: OutcomeCommit) -> bool:
        event_id, new_event = commit.event_id, commit.new_event
        if new_event is not None:
            if event_id in self.events:
                return False
            self.events[event_id] = new_event.model_copy(update={"status": "received"})
        if commit.announced is not None:
            self.put_announced(commit.announced)
        event = self.events.get(event_id)
        if event is None:
            raise EventNotRecorded(f"event {event_id!r} was never recorded")
        if event.status != "received":
            return False
        now = self._now()
        self.events[event_id] = event.model_copy(
            update={
                "status": commit.event_status,
                "note": commit.note,
                "completed_at": now,
                "intents": None,
            }
        )
        for decision in commit.decisions:
            self._put_decision(decision)
        for action in commit.actions:
            self.actions.setdefault(event_id, {})[action.keys()[1]] = action.stamped(now)
        self.add_outbox(commit.outbox)
        return True

    def add_outbox(self, items: Sequence[OutboxItem]) -> int:
        new = 0
        for item in items:
            if item.outbox_id not in self.outbox:
                self.outbox[item.outbox_id] = item.stamped(self._now())
                new += 1
        return new

    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        at = now or self._now()
        return [e for e in self.exemptions.values() if e.status == "active" and e.is_active(at)]

    def lapsed_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        at = now or self._now()
        return [e for e in self.exemptions.values() if e.status == "active" and not e.is_active(at)]

    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord:
        self.exemptions[rec.exemption_id] = rec
        return rec

    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None:
        return self.announced.get(_announced_key(image_arn, viewer_account_id))

    def put_announced(self, rec: AnnouncedState) -> AnnouncedState:
        stored = rec.model_copy(update={"updated_at": None}).stamped(self._now())
        self.announced[_announced_key(rec.image_arn, rec.viewer_account_id)] = stored
        return stored

    def open_announcements(self) -> list[AnnouncedState]:
        return [r for r in self.announced.values() if r.findings]

    def outbox_of_event(self, event_id: str) -> list[OutboxItem]:
        """Outbox items an event produced, in the order they were written."""
        return [o for o in self.outbox.values() if o.payload.get("event_id") == event_id]

    def _put_decision(self, decision: DecisionRecord) -> None:
        self.decisions.setdefault(decision.event_id, {})[decision.keys()[1]] = decision.stamped(
            self._now()
        )


def _announced_key(image_arn: str, viewer_account_id: str | None) -> str:
    """The owner's view under the image ARN; a viewer's under the ARN and the viewer."""
    return image_arn if viewer_account_id is None else f"{image_arn}#VIEWER#{viewer_account_id}"
