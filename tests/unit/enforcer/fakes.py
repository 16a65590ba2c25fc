"""In-memory AppStream and ledger ports for the enforcer's unit tests (no AWS, no network).

Both follow the contracts of the real gateways closely enough that the enforcer cannot tell
the difference: the ledger's commit is conditional on the event still being ``received``,
refuses an unknown event and more than 100 items, and drops outbox items that already exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.appstream import BuilderUsage, FleetUsage, ImageNotFound
from govbot.ledger.errors import AnnouncementChanged, EventNotRecorded, TransactionTooLarge
from govbot.ledger.keys import rejected_event_id
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState, ExemptionRecord

T0 = datetime(2026, 11, 27, 16, 0, 0, tzinfo=UTC)


class FakeClock:
    """A settable clock (every read returns ``now``)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Call:
    """One mutating call the enforcer made to the fake AppStream."""

    operation: str
    image_arn: str
    account_id: str
    permissions: Permissions | None = None


@dataclass
class FakeAppStream:
    """Images keyed by ARN; share lists change as AppStream's would.

    ``fail`` maps an operation name to the error its next call raises (once); any
    exception other than ``AppStreamGatewayError`` stands for a crash (e.g. a timeout).
    """

    images: dict[str, ImageSnapshot] = field(default_factory=dict)
    fleets: list[FleetUsage] = field(default_factory=list)
    builders: list[BuilderUsage] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)
    describes: int = 0

    def seed(
        self,
        ref: ImageRef,
        shares: dict[str, Permissions] | None = None,
        tags: dict[str, str] | None = None,
    ) -> ImageSnapshot:
        """Put an image with its share list (account -> permissions) in place."""
        image = ImageSnapshot(
            ref=ref,
            tags=tags or {},
            shared_with=tuple(
                SharedAccountPermission(account_id=a, permissions=p)
                for a, p in sorted((shares or {}).items())
            ),
        )
        self.images[ref.arn] = image
        return image

    def shares(self, ref: ImageRef) -> dict[str, Permissions]:
        """The current share list of ``ref`` as account -> permissions."""
        return {s.account_id: s.permissions for s in self.images[ref.arn].shared_with}

    # -- the AppStreamPort -----------------------------------------------------------------
    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None:
        self.describes += 1
        return self.images.get(ref.arn)

    def update_permissions(self, ref: ImageRef, account_id: str, permissions: Permissions) -> None:
        self.calls.append(Call("UpdateImagePermissions", ref.arn, account_id, permissions))
        self._maybe_fail("UpdateImagePermissions")
        image = self._image(ref, "UpdateImagePermissions")
        shares = {s.account_id: s.permissions for s in image.shared_with}
        shares[account_id] = permissions
        self._store(image, shares)

    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]:
        ref = ref_or_arn if isinstance(ref_or_arn, ImageRef) else ImageRef.from_arn(ref_or_arn)
        return [f for f in self.fleets if f.image_arn == ref.arn and f.account_id == account_id]

    def builders_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[BuilderUsage]:
        ref = ref_or_arn if isinstance(ref_or_arn, ImageRef) else ImageRef.from_arn(ref_or_arn)
        return [b for b in self.builders if b.image_arn == ref.arn and b.account_id == account_id]

    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]:
        return [f for f in self.fleets if (f.account_id, f.region) == (account_id, region)]

    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]:
        return [b for b in self.builders if (b.account_id, b.region) == (account_id, region)]

    def delete_permissions(self, ref: ImageRef, account_id: str) -> None:
        self.calls.append(Call("DeleteImagePermissions", ref.arn, account_id))
        self._maybe_fail("DeleteImagePermissions")
        image = self._image(ref, "DeleteImagePermissions")
        shares = {s.account_id: s.permissions for s in image.shared_with}
        if account_id not in shares:
            raise ImageNotFound(
                "ResourceNotFoundException", "DeleteImagePermissions", f"not shared: {account_id}"
            )
        del shares[account_id]
        self._store(image, shares)

    # -- helpers ---------------------------------------------------------------------------
    def _maybe_fail(self, operation: str) -> None:
        error = self.fail.pop(operation, None)
        if error is not None:
            raise error

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


class Crash(Exception):
    """The Lambda died here (timeout, out of memory): nothing after it ran."""


@dataclass
class Commit:
    """One successful ``commit_outcome`` call, as the enforcer made it."""

    event_id: str
    decisions: tuple[DecisionRecord, ...]
    actions: tuple[ActionRecord, ...]
    outbox: tuple[OutboxItem, ...]
    event_status: str
    note: str | None


@dataclass
class FakeLedger:
    """The enforcer's LedgerPort over dictionaries, with the real gateway's conditions."""

    clock: FakeClock = field(default_factory=FakeClock)
    events: dict[str, EventRecord] = field(default_factory=dict)
    decisions: dict[str, dict[str, DecisionRecord]] = field(default_factory=dict)
    actions: dict[str, dict[str, ActionRecord]] = field(default_factory=dict)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    exemptions: dict[str, ExemptionRecord] = field(default_factory=dict)
    announced: dict[str, AnnouncedState] = field(default_factory=dict)
    commits: list[Commit] = field(default_factory=list)
    overflow_writes: list[tuple[DecisionRecord, ...]] = field(default_factory=list)
    action_writes: list[ActionRecord] = field(default_factory=list)
    event_writes: list[EventRecord] = field(default_factory=list)
    crash_on_commit: int = 0  # how many next commits die before writing anything

    def record_event(self, rec: EventRecord) -> bool:
        self.event_writes.append(rec)
        if rec.event_id in self.events:
            return False
        self.events[rec.event_id] = rec.stamped(self.clock())
        return True

    def record_rejected(
        self,
        *,
        reason: str,
        raw: str,
        event_id: str | None = None,
        received_at: datetime,
        **context: str | None,
    ) -> str:
        return self._unhandled("rejected", reason, raw, event_id, received_at, context)

    def record_ignored(
        self,
        *,
        reason: str,
        raw: str,
        event_id: str | None = None,
        received_at: datetime,
        **context: str | None,
    ) -> str:
        return self._unhandled("ignored", reason, raw, event_id, received_at, context)

    def _unhandled(
        self,
        status: Literal["rejected", "ignored"],
        reason: str,
        raw: str,
        event_id: str | None,
        received_at: datetime,
        context: dict[str, str | None],
    ) -> str:
        rec_id = event_id or rejected_event_id(raw)
        self.events.setdefault(
            rec_id,
            EventRecord(
                event_id=rec_id,
                status=status,
                reason=reason,
                raw=raw,
                received_at=received_at,
                **context,
            ),
        )
        return rec_id

    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None:
        return self.announced.get(_announced_key(image_arn, viewer_account_id))

    def put_announced(self, rec: AnnouncedState) -> AnnouncedState:
        stored = rec.model_copy(update={"updated_at": None}).stamped(self.clock())
        self.announced[_announced_key(rec.image_arn, rec.viewer_account_id)] = stored
        return stored

    def open_announcements(self) -> list[AnnouncedState]:
        return [r for r in self.announced.values() if r.findings]

    def get_event(self, event_id: str) -> EventBundle:
        actions = sorted(self.actions.get(event_id, {}).values(), key=lambda a: a.seq)
        return EventBundle(
            event_id=event_id,
            event=self.events.get(event_id),
            decisions=tuple(self.decisions.get(event_id, {}).values()),
            actions=tuple(actions),
        )

    def put_action(self, action: ActionRecord) -> None:
        self.action_writes.append(action)
        self.actions.setdefault(action.event_id, {})[action.keys()[1]] = action.stamped(
            self.clock()
        )

    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        self.overflow_writes.append(tuple(decisions))
        for decision in decisions:
            self._put_decision(decision)

    def commit_outcome(
        self,
        event_id: str,
        *,
        decisions: Sequence[DecisionRecord] = (),
        actions: Sequence[ActionRecord] = (),
        outbox: Sequence[OutboxItem] = (),
        event_status: Literal["ignored", "processed"] = "processed",
        note: str | None = None,
        new_event: EventRecord | None = None,
        announced: AnnouncedState | None = None,
        announced_guard: str | None = None,
    ) -> bool:
        if new_event is not None and event_id in self.events:
            return False  # the real ledger's conditional put of a new event
        guarded = self.announced.get(announced_guard or "")
        if guarded is not None and guarded.findings:
            raise AnnouncementChanged(f"{announced_guard} has an open announcement")
        if new_event is not None:
            self.events[event_id] = new_event.model_copy(update={"status": "received"})
        if announced is not None:
            self.put_announced(announced)
        if self.crash_on_commit:
            self.crash_on_commit -= 1
            raise Crash(f"crashed before committing {event_id!r}")
        event = self.events.get(event_id)
        if event is None:
            raise EventNotRecorded(f"event {event_id!r} was never recorded")
        count = 1 + len(decisions) + len(actions) + len(outbox)
        if count > 100:
            raise TransactionTooLarge(f"commit of {event_id!r} needs {count} items")
        if event.status != "received":
            return False
        now = self.clock()
        self.events[event_id] = event.model_copy(
            update={
                "status": event_status,
                "note": note,
                "completed_at": now,
                "intents": None,
            }
        )
        for decision in decisions:
            self._put_decision(decision)
        for action in actions:
            self.actions.setdefault(event_id, {})[action.keys()[1]] = action.stamped(now)
        for item in outbox:
            self.outbox.setdefault(item.outbox_id, item.stamped(now))
        self.commits.append(
            Commit(event_id, tuple(decisions), tuple(actions), tuple(outbox), event_status, note)
        )
        return True

    def add_outbox(self, items: Sequence[OutboxItem]) -> int:
        new = 0
        for item in items:
            if item.outbox_id not in self.outbox:
                self.outbox[item.outbox_id] = item.stamped(self.clock())
                new += 1
        return new

    def lapsed_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        at = now or datetime.now(UTC)
        return [e for e in self.exemptions.values() if e.status == "active" and not e.is_active(at)]

    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord:
        self.exemptions[rec.exemption_id] = rec
        return rec

    # -- observations ----------------------------------------------------------------------
    def outbox_of(self, kind: str) -> list[OutboxItem]:
        """Outbox items of one ``message_kind``."""
        return [o for o in self.outbox.values() if o.message_kind == kind]

    def _put_decision(self, decision: DecisionRecord) -> None:
        self.decisions.setdefault(decision.event_id, {})[decision.keys()[1]] = decision.stamped(
            self.clock()
        )


def _announced_key(image_arn: str, viewer_account_id: str | None) -> str:
    """The owner's view under the image ARN; a viewer's under the ARN and the viewer."""
    return image_arn if viewer_account_id is None else f"{image_arn}#VIEWER#{viewer_account_id}"
