"""Remedies that can only take away.

AppStream has no conditional write: UpdateImagePermissions sets a share to what it is given,
creating the share if the owner deleted it a moment before. A remedy that keeps fleet access
and drops builder access, landing just after the owner's DeleteImagePermissions, would hand
the outsider fleet access again. So every remedy:

1. re-reads the share immediately before the write and removes only what is still there and
   forbidden (:func:`smallest_removal`), with DeleteImagePermissions when nothing may remain;
2. after an UpdateImagePermissions, stamps the share's fence (one atomic ledger update that
   returns the owner's latest stamped change). If the owner changed the share after govbot's
   re-read and govbot's write left more than the owner's latest state, govbot undoes its own
   widening at once (:func:`remove_only`);
3. the owner's DeleteImagePermissions, when it is handled, stamps the fence first and reads
   govbot's last write: if that write completed after the owner's delete, the share that
   exists now is govbot's doing and is deleted (:func:`late_write_undo`).

Whichever of 2 and 3 stamps the fence second sees the other, so one of them always acts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from govbot.domain import ImageRef, ImageSnapshot, Permissions
from govbot.enforcer.guards import GuardPort
from govbot.enforcer.ports import AppStreamPort
from govbot.enforcer.recovery import finalize
from govbot.events import ParsedEvent
from govbot.gateways.appstream import AppStreamGatewayError
from govbot.ledger.records.events import ActionRecord

# CloudTrail's eventTime and the function's clock can disagree by this much: within it, a
# govbot write and an owner's change are treated as possibly in either order (and govbot
# takes away rather than leave its own write standing).
CLOCK_SKEW = timedelta(seconds=1)
UNDO_REASON = (
    "the owner changed this share while govbot's remedy was in flight; govbot's write "
    "had left more access than the owner's latest state, so govbot removed it again"
)
# ``request["undo"]`` of an action that deleted govbot's own late write on the owner's delete.
LATE_WRITE = "late_write"
LATE_WRITE_REASON = (
    "this share existed only because govbot's remedy landed after the owner deleted it; "
    "govbot deleted it again"
)


@dataclass(frozen=True)
class Removal:
    """What one take-away remedy did: the write (or none), and any undo of its own widening."""

    status: Literal["succeeded", "failed", "skipped"]
    operation: Literal["UpdateImagePermissions", "DeleteImagePermissions"]
    before: Permissions
    after: Permissions
    note: str | None = None
    # Set when govbot undid its own widening: what it left (empty: the share was deleted).
    undone_to: Permissions | None = None
    undo_error: str | None = None


def smallest_removal(current: Permissions, allowed: Permissions) -> Permissions:
    """What may remain of ``current``: never a permission it does not already hold."""
    return Permissions(
        allow_fleet=current.allow_fleet and allowed.allow_fleet,
        allow_image_builder=current.allow_image_builder and allowed.allow_image_builder,
    )


def remove_only(
    appstream: AppStreamPort,
    guards: GuardPort,
    clock: Callable[[], datetime],
    ref: ImageRef,
    account: str,
    allowed: Permissions,
) -> Removal:
    """Reduce ``account``'s share of ``ref`` to at most ``allowed``, against the freshest state.

    AppStream errors of the write propagate (the caller records and retries them); an error
    while undoing govbot's own widening is returned in ``undo_error``.
    """
    read_at = clock()
    fresh = appstream.describe_image(ref, listed=False, tags=False)
    current = fresh.permissions_of(account) if fresh is not None else Permissions()
    target = smallest_removal(current, allowed)
    operation: Literal["UpdateImagePermissions", "DeleteImagePermissions"] = (
        "DeleteImagePermissions" if target.is_empty() else "UpdateImagePermissions"
    )
    if current.is_empty():
        note = "share already gone when re-read before the write: nothing to remove"
        return Removal("skipped", operation, current, current, note)
    if target == current:
        note = "nothing forbidden left when re-read before the write"
        return Removal("skipped", operation, current, current, note)
    if target.is_empty():
        appstream.delete_permissions(ref, account)  # a delete can never widen anything
        return Removal("succeeded", operation, current, target)
    appstream.update_permissions(ref, account, target)
    fence = guards.fence_govbot_write(ref.arn, account, clock())
    changed_at = fence.owner_changed_at
    if changed_at is None or changed_at < read_at - CLOCK_SKEW:
        return Removal("succeeded", operation, current, target)
    # The owner changed the share after govbot's re-read: govbot's write may have undone it.
    latest = (
        Permissions()
        if fence.owner_deleted
        else Permissions(
            allow_fleet=bool(fence.owner_fleet), allow_image_builder=bool(fence.owner_builder)
        )
    )
    keep = smallest_removal(target, latest)
    if keep == target:
        return Removal("succeeded", operation, current, target)
    try:
        if keep.is_empty():
            appstream.delete_permissions(ref, account)
        else:
            appstream.update_permissions(ref, account, keep)
    except AppStreamGatewayError as exc:
        return Removal("succeeded", operation, current, target, undone_to=keep, undo_error=str(exc))
    return Removal("succeeded", operation, current, target, undone_to=keep)


def stamp_owner_change(
    guards: GuardPort,
    ref: ImageRef,
    account: str,
    event_time: datetime,
    granted: Permissions | None,
) -> datetime | None:
    """Stamp a person's change of a share (``granted`` None: deleted); return when govbot
    last wrote that share, if it did."""
    fleet = None if granted is None else granted.allow_fleet
    builder = None if granted is None else granted.allow_image_builder
    return guards.fence_owner_change(ref.arn, account, event_time, fleet, builder).govbot_wrote_at


def wrote_after(govbot_wrote_at: datetime | None, owner_event_time: datetime) -> bool:
    """True when govbot's last write of the share may have landed after the owner's change."""
    return govbot_wrote_at is not None and govbot_wrote_at >= owner_event_time - CLOCK_SKEW


def late_write_undo(
    appstream: AppStreamPort,
    guards: GuardPort,
    event: ParsedEvent,
    ref: ImageRef,
    snapshot: ImageSnapshot | None,
    bot_principal_arn: str | None,
) -> ActionRecord | None:
    """A person's DeleteImagePermissions: stamp the fence, and when the share still exists
    only because govbot's write landed after the delete, delete it (the action, or None)."""
    account = event.shared_account_id
    if event.event_name != "DeleteImagePermissions" or not account:
        return None
    wrote_at = stamp_owner_change(guards, ref, account, event.event_time, None)
    held = snapshot.permissions_of(account) if snapshot is not None else Permissions()
    if held.is_empty() or not wrote_after(wrote_at, event.event_time):
        return None
    action = ActionRecord(
        event_id=event.event_id,
        seq=0,
        operation="DeleteImagePermissions",
        request={
            "SharedAccountId": account,
            "before": held.model_dump(),
            "after": Permissions().model_dump(),
            "reasons": [LATE_WRITE_REASON],
            "undo": LATE_WRITE,
        },
        status="started",
        image_arn=ref.arn,
        region=ref.region,
        account_id=ref.account_id,
        shared_account_id=account,
        actor_arn=bot_principal_arn,
    )
    try:
        appstream.delete_permissions(ref, account)
    except AppStreamGatewayError as exc:
        return finalize(action, "failed", f"{exc.code}: {exc}")
    return finalize(action, "succeeded")


def undo_action(started: ActionRecord, removal: Removal, seq: int) -> ActionRecord:
    """The ledger's record of govbot undoing its own widening (after ``started``'s write)."""
    assert removal.undone_to is not None
    request = {
        "SharedAccountId": started.shared_account_id,
        "before": removal.after.model_dump(),
        "after": removal.undone_to.model_dump(),
        "reasons": [UNDO_REASON],
        "undo": "widening",
    }
    action = started.model_copy(
        update={
            "seq": seq,
            "operation": "DeleteImagePermissions"
            if removal.undone_to.is_empty()
            else "UpdateImagePermissions",
            "request": request,
        }
    )
    if removal.undo_error:
        return finalize(action, "failed", removal.undo_error)
    return finalize(action, "succeeded")


def final_share(
    snapshot: ImageSnapshot | None, account: str, actions: Sequence[ActionRecord]
) -> Permissions:
    """What ``account`` holds after ``actions`` (the last succeeded one on it wins)."""
    held = snapshot.permissions_of(account) if snapshot is not None else Permissions()
    for action in actions:
        if action.shared_account_id == account and action.status == "succeeded":
            held = Permissions.model_validate(action.request.get("after", {}))
    return held


def as_written(started: ActionRecord, removal: Removal) -> ActionRecord:
    """``started`` finalized with what the write really was, against the state re-read."""
    request = dict(started.request)
    request["before"] = removal.before.model_dump()
    request["after"] = removal.after.model_dump()
    request.pop("ImagePermissions", None)
    if removal.operation == "UpdateImagePermissions":
        request["ImagePermissions"] = {
            "allowFleet": removal.after.allow_fleet,
            "allowImageBuilder": removal.after.allow_image_builder,
        }
    action = started.model_copy(update={"operation": removal.operation, "request": request})
    # Skipped: recorded, not reported (govbot changed nothing: the share changed first).
    status: Literal["succeeded", "skipped"] = (
        "skipped" if removal.status == "skipped" else "succeeded"
    )
    return finalize(action, status, None, removal.note)
