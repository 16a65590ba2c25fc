"""The remedy step: claim the event, write the intents, then take away what is forbidden.

Called by :mod:`govbot.enforcer.enforcement` for every evaluated event: each
enforced change becomes a ``started`` intent, durable before any AppStream call, then a
take-away write against the freshest state (:mod:`govbot.enforcer.takeaway`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from govbot.domain import ImageRef
from govbot.enforcer import outcomes
from govbot.enforcer.guards import CLAIM_HOLDER
from govbot.enforcer.ports import AlreadyRecorded, EnforcerDeps
from govbot.enforcer.recovery import finalize, with_violations
from govbot.enforcer.resilience import RetryLater
from govbot.enforcer.takeaway import as_written, remove_only, undo_action
from govbot.events import ParsedEvent
from govbot.gateways.appstream import AppStreamGatewayError, ImageNotFound, TransientError
from govbot.ledger.records.events import ActionRecord, EventRecord
from govbot.policy.results import Evaluation


def remedy(
    deps: EnforcerDeps,
    event: ParsedEvent,
    ref: ImageRef,
    evaluation: Evaluation,
    first_seq: int,
    *,
    retry: bool = False,
    recorded: bool = True,
    event_record: Callable[[ParsedEvent, Sequence[ActionRecord]], EventRecord],
) -> list[ActionRecord] | AlreadyRecorded:
    """Make each enforced change; with ``retry``, transient failures raise RetryLater.

    ``recorded`` False: the event is not in the ledger yet; it is written with the
    intents. :class:`AlreadyRecorded` (nothing called) when it turns out to be there
    already, or when another invocation holds the event's claim.
    """
    done: list[ActionRecord] = []
    transient: list[ActionRecord] = []
    changes = evaluation.enforced_changes()
    intents = [
        ActionRecord(
            event_id=event.event_id,
            seq=first_seq + offset,
            operation=outcomes.operation_for(change),
            request=with_violations(outcomes.change_request(change), change, evaluation),
            status="started",
            image_arn=ref.arn,
            region=ref.region,
            account_id=ref.account_id,
            shared_account_id=change.account_id,
            actor_arn=deps.bot_principal_arn,
        )
        for offset, change in enumerate(changes)
    ]
    # Durable before the first call so a crash between a call and the commit is
    # recognised on retry (see recovery.recovered_actions) instead of being forgotten:
    # a new event is recorded WITH its intents in one conditional put.
    # The event's claim first: no other invocation remedies it while this one does.
    if intents and not deps.guards.claim(
        event.event_id, CLAIM_HOLDER.get(), lease_seconds=deps.claims.lease_seconds
    ):
        return AlreadyRecorded(event.event_id)
    if intents and not recorded:
        if not deps.ledger.record_event(event_record(event, intents)):
            return AlreadyRecorded(event.event_id)
    elif intents:
        for intent in intents:
            deps.ledger.put_action(intent)
    undo_seq = first_seq + len(intents)
    for change, started in zip(changes, intents, strict=True):
        try:
            # Re-read, then remove only what is still there (never a grant); govbot's
            # write that outgrew the owner's change in flight is undone at once.
            removal = remove_only(
                deps.appstream, deps.guards, deps.clock, ref, change.account_id, change.after
            )
        except ImageNotFound as exc:
            done.append(finalize(started, "failed", f"image or share vanished: {exc}"))
        except TransientError as exc:
            if not retry:
                done.append(finalize(started, "failed", f"{exc.code}: {exc}"))
                continue
            # Not committed: this attempt is recorded, and SQS delivers the event again.
            transient.append(finalize(started, "failed", f"transient {exc.code}: {exc}"))
        except AppStreamGatewayError as exc:
            done.append(finalize(started, "failed", f"{exc.code}: {exc}"))
        else:
            done.append(as_written(started, removal))
            if removal.undone_to is not None:
                done.append(undo_action(started, removal, undo_seq))
                undo_seq += 1
    if transient:
        for action in (*done, *transient):
            deps.ledger.put_action(action)
        reasons = "; ".join(str(a.error) for a in transient)
        raise RetryLater(reasons, transient)
    return done
