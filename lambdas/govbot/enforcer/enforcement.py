"""The judge/remedy step: re-read an event's image, judge it, remedy it, then commit.

The enforcer never trusts the event's view of the world: it re-reads the image's current
permissions, evaluates them with the shared policy engine, and removes only what the policy
forbids. Events can be stale, duplicated or out of order; all three end up harmless. The
outcome goes through the :class:`~govbot.enforcer.commit.CommitStep`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer import outcomes
from govbot.enforcer.announce import announce, deleted_resolution, resolved_item
from govbot.enforcer.commit import CommitStep, Outcome
from govbot.enforcer.consumers import ConsumerView, read_consumer
from govbot.enforcer.inbound import current_announced, reread_for_event, standing_item
from govbot.enforcer.notes import record_only_note, summary_note
from govbot.enforcer.ports import AlreadyRecorded, EnforcementResult, EnforcerDeps
from govbot.enforcer.recovery import (
    INTERRUPTED,
    earlier_successes,
    recovered_actions,
    recovered_decisions,
)
from govbot.enforcer.remedies import remedy
from govbot.enforcer.resilience import Attempt, HeldGrant, held_decisions, held_grant, held_item
from govbot.enforcer.takeaway import LATE_WRITE, final_share, late_write_undo
from govbot.events import ParsedEvent
from govbot.exit_facts import EXIT_EVENTS
from govbot.ledger.errors import AnnouncementChanged
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState
from govbot.policy.engine import reads_exits, reads_tags, reads_uses
from govbot.policy.results import Evaluation


@dataclass(frozen=True)
class Judged:
    """One evaluation of an image and what it leads to, before the announcement state."""

    evaluation: Evaluation
    actions: list[ActionRecord]
    decisions: list[DecisionRecord]
    outbox: list[OutboxItem]  # remedies and a held grant: first in the commit
    stop_sharing: list[OutboxItem]  # after the announcements
    note: str
    recorded: bool


class EnforceStep:
    """Judges and remedies one event's image; its outcome goes through ``commit``."""

    def __init__(self, deps: EnforcerDeps, commit: CommitStep) -> None:
        self._deps = deps
        self._commit = commit

    def evaluate(self, snapshot: ImageSnapshot, now: datetime | None = None) -> Evaluation:
        """The policy's verdicts on ``snapshot`` at ``now``, with the same inputs as an event."""
        return self._deps.judge.evaluate(snapshot, now or self._deps.clock())

    def enforce(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        attempt: Attempt | None = None,
        *,
        fresh: ImageSnapshot | None = None,
        guess_announced: bool = True,
    ) -> EnforcementResult:
        """Read the image (unless ``fresh`` is given), then judge, remedy and commit once
        (:meth:`CommitStep.once`). Also the deferred re-apply's step."""
        deps = self._deps
        snapshot = fresh if fresh is not None else self._read(ref, event)
        # The owner's delete: stamped on the share's fence; a share that exists only because
        # govbot's remedy landed after it is deleted again (see govbot.enforcer.takeaway).
        undone = late_write_undo(
            deps.appstream, deps.guards, event, ref, snapshot, deps.bot_principal_arn
        )
        if undone is not None and undone.status == "succeeded":
            snapshot = self._read(ref, event)
        result = self._commit.once(
            event,
            lambda bundle: self._judge(
                event, ref, bundle, attempt, snapshot, guess_announced, undone
            ),
        )
        if fresh is None and snapshot is not None and (snapshot.exports or snapshot.compute):
            self._exit_remedies(result, snapshot)  # the sweep (fresh given) does its own
        return result

    def inbound(
        self, event: ParsedEvent, ref: ImageRef, attempt: Attempt | None
    ) -> EnforcementResult:
        """A fleet or builder created or repointed: judge what it runs if another owns it."""
        deps = self._deps
        if not reads_uses(deps.judge.policy()):
            return self._commit.record_only(event, "processed", record_only_note(event))
        snapshot, why = reread_for_event(deps.appstream, event, deps.governed_accounts)
        if snapshot is None:
            note = f"{record_only_note(event)}; {why}"
            return self._commit.record_only(event, "processed", note)
        return self.enforce(event, snapshot.ref, attempt, fresh=snapshot)

    def deleted(self, event: ParsedEvent, ref: ImageRef) -> EnforcementResult:
        """An image deleted: its standing findings are resolved once it is really gone."""
        deps = self._deps
        outbox, state = deleted_resolution(deps.ledger, deps.appstream, event, ref, deps.clock())
        note = record_only_note(event) + ("; standing findings resolved" if outbox else "")
        outcome = Outcome(event, "processed", note, outbox=outbox)
        result = self._commit.once(
            event, lambda bundle: self._commit.finish(outcome, recorded=bundle is not None)
        )
        if state is not None and result.status != "duplicate":
            deps.ledger.put_announced(state)
        return result

    # -- steps -------------------------------------------------------------------------

    def _exit_remedies(self, result: EnforcementResult, snapshot: ImageSnapshot) -> None:
        """Enforce mode's remedies outside AppStream (exported AMIs, builders' agents)."""
        deps, policy = self._deps, self._deps.judge.policy()
        if deps.exits is None or result.evaluation is None or result.status != "processed":
            return
        from govbot.enforcer.exits import remedy_and_record

        remedy_and_record(
            deps.exits(),
            deps.ledger,
            result.event_id,
            snapshot,
            result.evaluation,
            policy,
            actor_arn=deps.bot_principal_arn,
            now=deps.clock(),
        )

    def _read(self, ref: ImageRef, event: ParsedEvent | None = None) -> ImageSnapshot | None:
        """The image as the policy needs it: its share list, and its tags only when a rule
        or exemption selects by tag. The event named the image in its own account, so its
        ARN is known and DescribeImages is not needed. An event about a way out
        (``EXIT_EVENTS``) also reads the image's exports and builders when a rule judges
        them; other events leave that to the drift sweep (their calls stay as they were)."""
        policy = self._deps.judge.policy()
        image = self._deps.appstream.describe_image(ref, listed=False, tags=reads_tags(policy))
        exits = self._deps.exits if event and event.event_name in EXIT_EVENTS else None
        if image is not None and event is not None and exits is not None and reads_exits(policy):
            # Exports, builders' settings, and an import's source (only its request says it).
            imported = event.params if event.event_name == "CreateImportedImage" else None
            image = exits().enrich(image, policy, imported=imported)
        return image

    def _judge(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        bundle: EventBundle | None,
        attempt: Attempt | None,
        snapshot: ImageSnapshot | None,
        guess_announced: bool = True,
        undone: ActionRecord | None = None,
    ) -> EnforcementResult | AlreadyRecorded:
        """Evaluate ``snapshot``, remedy, commit. ``bundle`` None: the event is not in the
        ledger yet (:class:`AlreadyRecorded` when its first write finds it). ``undone``:
        govbot's late write, deleted again on the owner's delete (committed with it)."""
        recorded = bundle is not None
        if snapshot is None:
            note = f"image {ref.arn} no longer exists"
            return self._commit.finish(Outcome(event, "ignored", note), recorded=recorded)
        judged = self._remedied(event, ref, bundle, attempt, snapshot, undone)
        if isinstance(judged, AlreadyRecorded):
            return judged
        if guess_announced and snapshot.viewer_account_id is None:
            try:
                # Optimistically, no standing finding was announced for the image: the
                # commit checks that instead of reading it first (nothing written if not).
                return self._announce_and_commit(event, ref, snapshot, judged, None, ref.arn)
            except AnnouncementChanged:
                pass
        # The drift sweep reads it first: it sees every image with standing findings again.
        previous = current_announced(self._deps.ledger, snapshot)
        return self._announce_and_commit(event, ref, snapshot, judged, previous, None)

    def _remedied(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        bundle: EventBundle | None,
        attempt: Attempt | None,
        snapshot: ImageSnapshot,
        undone: ActionRecord | None,
    ) -> Judged | AlreadyRecorded:
        """Evaluate, make the remedies, and draw the decisions and messages they lead to."""
        deps = self._deps
        recorded = bundle is not None
        now = deps.clock()
        evaluation = self.evaluate(snapshot, now)
        past = bundle or EventBundle(event_id=event.event_id)
        actions = recovered_actions(past, snapshot) + earlier_successes(past)
        if undone is not None:
            actions.append(undone.model_copy(update={"seq": len(past.actions)}))
        made = remedy(
            deps,
            event,
            ref,
            evaluation,
            first_seq=len(past.actions) + (undone is not None),
            retry=attempt is not None,
            recorded=recorded,
            event_record=self._commit.event_record,
        )
        if isinstance(made, AlreadyRecorded):
            return made
        actions += made
        recorded = recorded or bool(evaluation.enforced_changes())
        outbox: list[OutboxItem] = []
        held = held_grant(event, snapshot, now, lambda image: self.evaluate(image, now))
        if held is not None and any(
            a.shared_account_id == held.account_id for a in (*past.actions, *actions)
        ):
            held = None  # govbot removed it itself (an earlier attempt): reported as a remedy
        if held is not None:
            outbox.append(held_item(event, held))
        remedied = self._remedied_item(event, ref, evaluation, actions)
        if remedied is not None:
            outbox.append(remedied)
        stop_sharing: list[OutboxItem] = []
        if event.event_name == "DeleteImagePermissions":
            account = event.shared_account_id or ""
            consumer = self._consumer(ref, account)
            # What the message says is the real end state, govbot's own undo included.
            end = final_share(snapshot, account, actions)
            stop_sharing.append(
                outcomes.stop_sharing_item(event, ref.arn, ref.name, consumer, end, undone)
            )
        decisions = _decisions(event, evaluation, actions, held)
        note = summary_note(evaluation, actions)
        if held is not None and not evaluation.violations() and not actions:
            note = f"{held.account_id}: {held.reason_suffix}"
        return Judged(evaluation, actions, decisions, outbox, stop_sharing, note, recorded)

    def _remedied_item(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        evaluation: Evaluation,
        actions: list[ActionRecord],
    ) -> OutboxItem | None:
        """The ``violation_remedied`` message of what govbot did (or failed to do) now.

        An attempt a crash interrupted is superseded by this run's re-evaluation: it is
        recorded, not reported; govbot's late write undone on the owner's delete is told
        in the stop-sharing message."""
        reported = [
            a
            for a in actions
            if a.error != INTERRUPTED
            and a.request.get("undo") != LATE_WRITE
            and a.status != "skipped"
        ]
        if not reported:
            return None
        consumers = {
            a.shared_account_id: self._consumer(ref, a.shared_account_id)
            for a in reported
            if a.shared_account_id and a.status == "succeeded"
        }
        return outcomes.remedied_item(event, evaluation, reported, self._deps.clock(), consumers)

    def _announce_and_commit(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        snapshot: ImageSnapshot,
        judged: Judged,
        previous: AnnouncedState | None,
        guard: str | None,
    ) -> EnforcementResult | AlreadyRecorded:
        """Standing violations are announced when they appear, change or go (not every
        time an event or a sweep sees them again): see govbot.enforcer.announce."""
        evaluation = judged.evaluation
        told = announce(
            previous,
            ref,
            evaluation.audit_violations(),
            self._deps.clock(),
            viewer_account_id=snapshot.viewer_account_id,
        )
        items = list(judged.outbox)
        if told.fresh:
            items.append(standing_item(event, evaluation, told.fresh, snapshot))
        if told.resolved:
            items.append(
                resolved_item(
                    ref,
                    told.resolved,
                    cause=f"no longer found after {event.event_name} by {event.actor_arn}",
                    discriminator=event.event_id,
                    occurred_at=event.event_time,
                    event_id=event.event_id,
                    actor_arn=event.actor_arn,
                )
            )
        items += judged.stop_sharing
        outcome = Outcome(
            event, "processed", judged.note, judged.decisions, judged.actions, items, evaluation,
            announced=told.state, announced_guard=guard,
        )  # fmt: skip
        result = self._commit.finish(outcome, recorded=judged.recorded)
        if isinstance(result, AlreadyRecorded):
            return result
        return replace(result, fresh=told.fresh)

    def _consumer(self, ref: ImageRef, account_id: str) -> ConsumerView | None:
        """The consumer's fleets and builders on ``ref`` when it is a governed account."""
        return read_consumer(self._deps.appstream, ref, account_id, self._deps.governed_accounts)


def _decisions(
    event: ParsedEvent,
    evaluation: Evaluation,
    actions: list[ActionRecord],
    held: HeldGrant | None,
) -> list[DecisionRecord]:
    """One decision per verdict; a held grant's own decisions replace the verdicts'; and
    the decisions of remedies an earlier, interrupted attempt made (crash recovery)."""
    decisions = outcomes.decision_records(event, evaluation)
    if held is not None:
        extra = held_decisions(event, held)
        taken = {(d.rule_id, d.account_id, d.permission) for d in extra}
        decisions = [d for d in decisions if (d.rule_id, d.account_id, d.permission) not in taken]
        decisions += extra
    decisions += recovered_decisions(event, actions, decisions)
    return decisions
