"""Inbound shares ("Shared with me"): governed fleets and builders on another account's image.

A governed account may run fleets and image builders on images other accounts own and
share with it. The policy judges such an image *as seen from* the governed account: a
snapshot whose ``viewer_account_id`` is that account and whose ``used_by`` lists its
fleets and builders running the image (``inbound_only_from_trusted`` reads them). What
people were told is kept per viewer (one ``AnnouncedState`` per image and viewer), so two
governed accounts on one vendor image never undo each other's announcements.

Images a governed account owns are not inbound: govbot judges their sharing at the
owner, where the share rules decide who may use them. AWS public images have no owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from govbot.domain import ImageRef, ImageSnapshot, ImageUse, highest_severity
from govbot.enforcer import outcomes
from govbot.events import ParsedEvent
from govbot.gateways.appstream import BuilderUsage, FleetUsage
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import ImageUse as UseLine
from govbot.ledger.records.details import InboundDetails
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import InboundImageUsed
from govbot.ledger.records.state import AnnouncedState
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation, Verdict

NO_REMEDY = "reported only: govbot never stops or changes a fleet or an image builder"
MAX_LISTED_USES = 30


class UsageReader(Protocol):
    """What reading a governed account's fleets and builders needs (the AppStream gateway)."""

    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]: ...
    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]: ...


class AnnouncedReader(Protocol):
    """The ledger's announced-state read."""

    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None: ...


def _owner(image_arn: str | None) -> ImageRef | None:
    if not image_arn:
        return None
    try:
        return ImageRef.from_arn(image_arn)
    except ValueError:
        return None


def foreign_images(
    viewer: str,
    region: str,
    fleets: Sequence[FleetUsage],
    builders: Sequence[BuilderUsage],
    *,
    governed: frozenset[str],
    listed: Sequence[ImageSnapshot] = (),
) -> list[ImageSnapshot]:
    """Every image owned outside the governed accounts that ``viewer`` sees as SHARED
    (``listed``) or that one of its fleets or builders runs, each with those uses.

    An image a fleet still runs but no longer listed (its share was withdrawn) is judged
    too, from its ARN. Sorted by ARN (determinism).
    """
    by_arn: dict[str, ImageSnapshot] = {}
    for image in listed:
        owner = image.ref.account_id
        if owner and owner != viewer and owner not in governed:
            by_arn[image.ref.arn] = image.model_copy(
                update={"viewer_account_id": viewer, "used_by": (), "shared_with": ()}
            )
    pairs = [(f.image_arn, _fleet_use(f)) for f in fleets] + [
        (b.image_arn, _builder_use(b)) for b in builders
    ]
    for image_arn, use in pairs:
        ref = _owner(image_arn)
        if ref is None or not ref.account_id or ref.account_id == viewer:
            continue  # an AWS public image, or the viewer's own
        if ref.account_id in governed or ref.region != region:
            continue
        known = by_arn.get(ref.arn) or ImageSnapshot(
            ref=ref, state="UNKNOWN", visibility="SHARED", viewer_account_id=viewer
        )
        by_arn[ref.arn] = known.model_copy(update={"used_by": (*known.used_by, use)})
    return [by_arn[arn] for arn in sorted(by_arn)]


def _fleet_use(fleet: FleetUsage) -> ImageUse:
    return ImageUse(
        kind="fleet",
        name=fleet.name,
        arn=fleet.arn,
        account_id=fleet.account_id,
        region=fleet.region,
        state=fleet.state,
    )


def _builder_use(builder: BuilderUsage) -> ImageUse:
    return ImageUse(
        kind="image_builder",
        name=builder.name,
        arn=builder.arn,
        account_id=builder.account_id,
        region=builder.region,
        state=builder.state,
    )


def reread_for_event(
    reader: UsageReader, event: ParsedEvent, governed: frozenset[str]
) -> tuple[ImageSnapshot | None, str]:
    """What the event's fleet or builder runs now, as an inbound snapshot, or why none.

    The event is not trusted: the account's fleets and builders are read again (two
    calls), and every one of them on the same image is judged with it, so the verdicts
    match what the drift sweep finds.
    """
    params = event.params
    name = getattr(params, "name", None)
    kind = "image builder" if event.event_name == "CreateImageBuilder" else "fleet"
    if not name:
        return None, f"{event.event_name} names no {kind}: nothing to judge"
    account, region = event.account_id, event.region
    fleets = reader.list_fleets(account, region)
    builders = reader.list_image_builders(account, region)
    mine = [
        use.image_arn
        for use in (builders if kind == "image builder" else fleets)
        if use.name == name
    ]
    if not mine:
        return None, f"{kind} {name} no longer exists: nothing to judge"
    ref = _owner(mine[0])
    if ref is None or not ref.account_id:
        return None, f"{kind} {name} runs an AWS public image ({mine[0]}): trusted"
    if ref.account_id == account:
        return None, f"{kind} {name} runs {ref.name}, an image of its own account"
    if ref.account_id in governed:
        return None, (
            f"{kind} {name} runs {ref.name} of governed account {ref.account_id}: its "
            "sharing is judged at the owner"
        )
    found = foreign_images(account, region, fleets, builders, governed=governed)
    snapshot = next(image for image in found if image.ref.arn == ref.arn)
    return snapshot, ""


def reads_uses(policy: Policy) -> bool:
    """True when a rule of ``policy`` judges fleets and builders on others' images."""
    return any(rule.reads_uses for rule in policy.rules)


def current_announced(store: AnnouncedReader, snapshot: ImageSnapshot) -> AnnouncedState | None:
    """What people were told about ``snapshot``'s findings: the owner's view, or its viewer's."""
    if snapshot.viewer_account_id is None:
        return store.get_announced(snapshot.ref.arn)
    return store.get_announced(snapshot.ref.arn, viewer_account_id=snapshot.viewer_account_id)


def standing_item(
    event: ParsedEvent,
    evaluation: Evaluation,
    fresh: Sequence[Verdict],
    snapshot: ImageSnapshot,
) -> OutboxItem:
    """The message for newly standing findings: ``inbound_image_used`` for another
    account's image in use, else ``violation_audit``."""
    if snapshot.viewer_account_id is None or not snapshot.used_by:
        return outcomes.audit_item(event, evaluation, list(fresh))
    return inbound_item(event, evaluation, fresh, snapshot)


def inbound_item(
    event: ParsedEvent,
    evaluation: Evaluation,
    fresh: Sequence[Verdict],
    snapshot: ImageSnapshot,
) -> OutboxItem:
    """The ``inbound_image_used`` notification: what runs the image, who owns it, why."""
    ref = snapshot.ref
    flagged = {(v.account_id, v.permission) for v in fresh}
    uses = [u for u in snapshot.used_by if (u.account_id, u.kind) in flagged]
    accounts = sorted({v.account_id for v in fresh if v.account_id})
    count = len(uses)
    payload = InboundImageUsed(
        severity=highest_severity(v.severity for v in fresh),
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        account_id=ref.account_id,  # the image's owner
        shared_account_ids=accounts,
        actor_arn=event.actor_arn,
        rule_ids=sorted({v.rule_id for v in fresh}),
        event_id=event.event_id,
        event_name=event.event_name,
        occurred_at=format_ts(event.event_time),
        summary=(
            f"{count} fleet(s) or image builder(s) of account {', '.join(accounts)} run "
            f"{ref.name} ({ref.region}), an image owned by account {ref.account_id}, which is "
            "not a trusted image owner"
        ),
        details=InboundDetails(
            owner_account_id=ref.account_id,
            viewer_account_id=snapshot.viewer_account_id,
            image_state=snapshot.state,
            uses=[
                UseLine(kind=u.kind, name=u.name, arn=u.arn, account_id=u.account_id, state=u.state)
                for u in uses[:MAX_LISTED_USES]
            ],
            violations=outcomes.violation_lines(fresh),
            action=NO_REMEDY,
        ),
    )
    return OutboxItem.from_payload(payload, discriminators=(event.event_id, "inbound"))
