"""In-memory AppStream and ledger for the drift sweep's unit tests (no network, no moto).

The ledger fake keeps the real ledger's contract where the sweep relies on it: conditional
event recording, a commit that happens once, and outbox items deduplicated by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.ports import EnforcerDeps
from govbot.gateways.appstream import (
    AppStreamGatewayError,
    BuilderUsage,
    FleetUsage,
    ImageNotFound,
    ImagePage,
)
from govbot.ledger.errors import AnnouncementChanged, ConcurrentUpdate
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState, ExemptionRecord
from govbot.ledger.records.sweep import SweepLane, SweepPass
from govbot.policy import Policy
from govbot.policy.judge import Judge
from govbot.policy.loader import parse_policy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HUB = "123456789012"
SPOKE = "210987654321"
EAST, WEST = "us-east-1", "eu-west-1"
TRUSTED = "111111111111"
OUTSIDER = "999999999999"

POLICY = """
version: 1
mode: enforce
trusted_accounts:
  - id: "111111111111"
    name: shared-services
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
  - id: secrets-never-shared
    type: never_share
    images:
      tags: {classification: confidential}
  - id: audit-fleet-dev
    type: fleet_only_for_listed
    mode: audit
    accounts: []
    images:
      names: ["dev-*"]
"""


def policy(mode: str = "enforce") -> Policy:
    """The unit policy (optionally in audit mode)."""
    return parse_policy(POLICY.replace("mode: enforce", f"mode: {mode}", 1), source="unit")


@dataclass
class FakeAppStream:
    """Images by ARN; ``broken`` (account, region) pairs fail to list like AccessDenied."""

    images: dict[str, ImageSnapshot] = field(default_factory=dict)
    fleets: list[FleetUsage] = field(default_factory=list)
    builders: list[BuilderUsage] = field(default_factory=list)
    broken: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    page_size: int = 25
    bad_tokens: set[str] = field(default_factory=set)

    def seed(
        self,
        account: str,
        region: str,
        name: str,
        *,
        shares: dict[str, tuple[bool, bool]] | None = None,
        tags: dict[str, str] | None = None,
    ) -> ImageRef:
        ref = ImageRef(account_id=account, region=region, name=name)
        shared = tuple(
            SharedAccountPermission(
                account_id=acct, permissions=Permissions(allow_fleet=f, allow_image_builder=b)
            )
            for acct, (f, b) in (shares or {}).items()
        )
        self.images[ref.arn] = ImageSnapshot(ref=ref, tags=tags or {}, shared_with=shared)
        return ref

    def list_images(
        self,
        account_id: str,
        region: str,
        *,
        visibility: Literal["PRIVATE", "SHARED", "PUBLIC"] = "PRIVATE",
        details: bool = True,
    ) -> Iterable[ImageSnapshot]:
        self.calls.append(f"list {account_id}/{region}")
        code = self.broken.get((account_id, region))
        if code is not None:
            raise AppStreamGatewayError(code, "AssumeRole", f"not allowed into {account_id}")
        return [
            i
            for i in self.images.values()
            if i.ref.account_id == account_id and i.ref.region == region
        ]

    def image_page(self, account_id: str, region: str, token: str | None = None) -> ImagePage:
        """Pages of ``page_size`` images by name; the token is the next offset."""
        self.calls.append(f"page {account_id}/{region} {token}")
        code = self.broken.get((account_id, region))
        if code is not None:
            raise AppStreamGatewayError(code, "AssumeRole", f"not allowed into {account_id}")
        if token is not None and token in self.bad_tokens:
            self.bad_tokens.discard(token)  # expired: a token issued again later is fresh
            raise AppStreamGatewayError("InvalidParameterCombinationException", "x", "token")
        names = sorted(
            i.ref.name
            for i in self.images.values()
            if i.ref.account_id == account_id and i.ref.region == region
        )
        start = int(token) if token else 0
        end = start + self.page_size
        bare = tuple(
            ImageSnapshot(ref=ImageRef(account_id=account_id, region=region, name=n))
            for n in names[start:end]
        )
        return ImagePage(bare, str(end) if end < len(names) else None)

    def with_details(self, image: ImageSnapshot) -> ImageSnapshot | None:
        self.calls.append(f"details {image.ref.name}")
        return self.images.get(image.ref.arn)

    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None:
        self.calls.append(f"describe {ref.name}")
        return self.images.get(ref.arn)

    def update_permissions(self, ref: ImageRef, account_id: str, permissions: Permissions) -> None:
        self.calls.append(f"update {ref.name} {account_id}")
        image = self._require(ref)
        shares = [s for s in image.shared_with if s.account_id != account_id]
        shares.append(SharedAccountPermission(account_id=account_id, permissions=permissions))
        self.images[ref.arn] = image.model_copy(update={"shared_with": tuple(shares)})

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
        self.calls.append(f"delete {ref.name} {account_id}")
        image = self._require(ref)
        shares = tuple(s for s in image.shared_with if s.account_id != account_id)
        self.images[ref.arn] = image.model_copy(update={"shared_with": shares})

    def writes(self) -> list[str]:
        return [c for c in self.calls if c.startswith(("update", "delete"))]

    def _require(self, ref: ImageRef) -> ImageSnapshot:
        image = self.images.get(ref.arn)
        if image is None:
            raise ImageNotFound("ResourceNotFoundException", "op", f"{ref.name} not found")
        return image


@dataclass
class FakeLedger:
    """Events, decisions, actions and outbox in dicts, with the real commit semantics."""

    events: dict[str, EventRecord] = field(default_factory=dict)
    decisions: dict[str, dict[tuple[str, str, str], DecisionRecord]] = field(default_factory=dict)
    actions: dict[str, dict[int, ActionRecord]] = field(default_factory=dict)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    exemptions: dict[str, ExemptionRecord] = field(default_factory=dict)
    announced: dict[str, AnnouncedState] = field(default_factory=dict)
    sweep: dict[str, SweepPass | SweepLane] = field(default_factory=dict)

    def record_event(self, rec: EventRecord) -> bool:
        if rec.event_id in self.events:
            return False
        self.events[rec.event_id] = rec
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
        rec_id = event_id or f"REJECTED#{len(self.events)}"
        self.events.setdefault(
            rec_id,
            EventRecord(event_id=rec_id, status=status, reason=reason, raw=raw, **context),
        )
        return rec_id

    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None:
        return self.announced.get(_announced_key(image_arn, viewer_account_id))

    def put_announced(self, rec: AnnouncedState) -> AnnouncedState:
        stored = rec.model_copy(update={"updated_at": None}).stamped(
            rec.announced_at or datetime.now(UTC)
        )
        self.announced[_announced_key(rec.image_arn, rec.viewer_account_id)] = stored
        return stored

    def open_announcements(self) -> list[AnnouncedState]:
        return [r for r in self.announced.values() if r.findings]

    def get_event(self, event_id: str) -> EventBundle:
        return EventBundle(
            event_id=event_id,
            event=self.events.get(event_id),
            decisions=tuple(self.decisions.get(event_id, {}).values()),
            actions=tuple(a for _, a in sorted(self.actions.get(event_id, {}).items())),
        )

    def put_action(self, action: ActionRecord) -> None:
        self.actions.setdefault(action.event_id, {})[action.seq] = action

    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        for d in decisions:
            self.decisions.setdefault(d.event_id, {})[(d.rule_id, d.account_id, d.permission)] = d

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
        event = self.events[event_id]
        if event.status != "received":
            return False
        self.put_decisions(decisions)
        for action in actions:
            self.put_action(action)
        self.add_outbox(outbox)
        self.events[event_id] = event.model_copy(
            update={"status": event_status, "note": note, "intents": None}
        )
        return True

    def add_outbox(self, items: Sequence[OutboxItem]) -> int:
        new = [i for i in items if i.outbox_id not in self.outbox]
        self.outbox.update({i.outbox_id: i for i in new})
        return len(new)

    def lapsed_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        at = now or datetime.now(UTC)
        return [e for e in self.exemptions.values() if e.status == "active" and not e.is_active(at)]

    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord:
        self.exemptions[rec.exemption_id] = rec
        return rec

    def sweep_checkpoint(self) -> tuple[SweepPass | None, list[SweepLane]]:
        current = self.sweep.get("PASS")
        assert current is None or isinstance(current, SweepPass)
        return current, [r for r in self.sweep.values() if isinstance(r, SweepLane)]

    def put_sweep_record(self, record: Any, *, expected_version: int | None) -> Any:
        key = record.keys()[1]
        stored = self.sweep.get(key)
        if (stored.version if stored else None) != expected_version:
            raise ConcurrentUpdate(f"{key}: expected {expected_version}")
        new = record.model_copy(update={"version": (expected_version or 0) + 1})
        self.sweep[key] = new.stamped(NOW)
        return self.sweep[key]

    def kinds(self) -> list[str]:
        return sorted(o.message_kind for o in self.outbox.values())


def enforcer(
    appstream: FakeAppStream,
    ledger: FakeLedger,
    *,
    mode: str = "enforce",
    accounts: Iterable[str] = (HUB, SPOKE),
    regions: Iterable[str] = (EAST, WEST),
) -> Enforcer:
    """An enforcer on the fakes, governing ``accounts`` x ``regions``."""
    loaded = policy(mode)
    return Enforcer(
        EnforcerDeps(
            appstream=appstream,
            ledger=ledger,
            judge=Judge(lambda: loaded),
            governed_accounts=frozenset(accounts),
            governed_regions=frozenset(regions),
            bot_principal_arn="arn:aws:sts::123456789012:assumed-role/govbot/x",
            clock=lambda: NOW,
        )
    )


def scheduled_event(event_id: str = "run-1", **extra: Any) -> dict[str, Any]:
    """EventBridge's ``Scheduled Event`` envelope for the sweep rule."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": HUB,
        "time": "2026-06-01T12:00:00Z",
        "region": EAST,
        "resources": [f"arn:aws:events:{EAST}:{HUB}:rule/govbot-drift-sweep"],
        "detail": {},
        **extra,
    }


def _announced_key(image_arn: str, viewer_account_id: str | None) -> str:
    """The owner's view under the image ARN; a viewer's under the ARN and the viewer."""
    return image_arn if viewer_account_id is None else f"{image_arn}#VIEWER#{viewer_account_id}"
