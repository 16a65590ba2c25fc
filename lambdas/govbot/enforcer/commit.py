"""The commit step: an event's one conditional write, its redelivery, and its outcome.

Every path of the enforcer (a CloudTrail event, the drift sweep's synthetic events, a
deferred Slack button) ends here, so each leaves the same ledger story: the event
recorded (``received``, with its remedy intents) or put final at once, then one
``commit_outcome`` transaction. A write that assumed the event was new and found it is
not an exception: it is :class:`~govbot.enforcer.ports.AlreadyRecorded`, and :meth:`once`
reads the ledger and runs the step again on what it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from govbot.domain import ImageRef
from govbot.enforcer.guards import CLAIM_HOLDER, ClaimHeld, await_turn, new_holder
from govbot.enforcer.ports import AlreadyRecorded, EnforcementResult, EnforcerDeps
from govbot.enforcer.resilience import Attempt, RetryLater, abandoned_item
from govbot.events import ParsedEvent
from govbot.gateways.appstream import TransientError
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.inputs import OutcomeCommit
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState
from govbot.policy.results import Evaluation

# Keep the decision+outbox transaction well under DynamoDB's 100-item limit.
MAX_DECISIONS_IN_TRANSACTION = 80

Step = Callable[[EventBundle | None], EnforcementResult | AlreadyRecorded]
FinalStatus = Literal["processed", "ignored"]


@dataclass(frozen=True)
class Outcome:
    """What one handling of an event ends with, committed in one write."""

    event: ParsedEvent
    status: FinalStatus
    note: str
    decisions: Sequence[DecisionRecord] = ()
    actions: Sequence[ActionRecord] = ()
    outbox: Sequence[OutboxItem] = ()
    evaluation: Evaluation | None = None
    announced: AnnouncedState | None = None
    # An image ARN: the commit checks that it has no open announcement (not read first).
    announced_guard: str | None = None


class CommitStep:
    """Records and commits events for the enforcer's steps (public: deferred work uses it)."""

    def __init__(self, deps: EnforcerDeps) -> None:
        self._deps = deps

    def event_record(self, event: ParsedEvent, intents: Sequence[ActionRecord] = ()) -> EventRecord:
        """``event`` as the ledger first records it: received, with its remedy intents."""
        return EventRecord(
            event_id=event.event_id,
            event_name=event.event_name,
            status="received",
            actor_arn=event.actor_arn,
            image_arn=event.image_arn,
            region=event.region,
            account_id=event.account_id,
            shared_account_id=event.shared_account_id,
            occurred_at=event.event_time,
            received_at=self._deps.clock(),
            raw=event.raw,
            intents=[EventRecord.intent_of(a) for a in intents] or None,
        )

    def record_received(self, event: ParsedEvent) -> bool:
        """Put ``event`` as received (False: it is in the ledger already)."""
        return self._deps.ledger.record_event(self.event_record(event))

    def finish(self, outcome: Outcome, *, recorded: bool) -> EnforcementResult | AlreadyRecorded:
        """Commit ``outcome`` in one write. ``recorded`` False: the event is put with it,
        conditional on its absence (:class:`AlreadyRecorded` when it is there already)."""
        ledger = self._deps.ledger
        event = outcome.event
        decisions = list(outcome.decisions)
        if len(decisions) > MAX_DECISIONS_IN_TRANSACTION:
            # Decisions are idempotent upserts; only the ones that drive the outbox must
            # share its transaction, so the overflow goes first, outside it.
            decisions.sort(key=lambda d: d.outcome != "violation")
            ledger.put_decisions(decisions[MAX_DECISIONS_IN_TRANSACTION:])
            decisions = decisions[:MAX_DECISIONS_IN_TRANSACTION]
        committed = ledger.commit_outcome(
            OutcomeCommit(
                event.event_id,
                decisions=decisions,
                actions=outcome.actions,
                outbox=outcome.outbox,
                event_status=outcome.status,
                note=outcome.note,
                new_event=None if recorded else self.event_record(event),
                announced=outcome.announced,
                announced_guard=outcome.announced_guard,
            )
        )
        if not committed:
            if not recorded:
                return AlreadyRecorded(event.event_id)
            return EnforcementResult("duplicate", event.event_id, "committed by another delivery")
        return EnforcementResult(
            outcome.status,
            event.event_id,
            outcome.note,
            tuple(outcome.actions),
            tuple(outcome.outbox),
            outcome.evaluation,
        )

    def finish_recorded(self, outcome: Outcome) -> EnforcementResult:
        """Commit ``outcome`` of an event already in the ledger (``duplicate`` when another
        delivery committed it first)."""
        result = self.finish(outcome, recorded=True)
        assert isinstance(result, EnforcementResult)  # a recorded event is never put anew
        return result

    def once(self, event: ParsedEvent, step: Step) -> EnforcementResult:
        """``step(None)``, which assumes the event is not in the ledger yet (the usual case).

        When a conditional write finds it there (a redelivery: ``AlreadyRecorded``), the
        ledger is read once: a final event is a duplicate; an unfinished one (an earlier
        attempt crashed or was handed back) is completed by ``step(bundle)``.
        """
        deps = self._deps
        holder = new_holder()
        token = CLAIM_HOLDER.set(holder)
        try:
            first = step(None)
            if isinstance(first, EnforcementResult):
                return first
            # Another invocation may be at work on it: one remedy per event (guards).
            bundle = await_turn(
                deps.guards,
                deps.ledger.get_event(event.event_id),
                lambda: deps.ledger.get_event(event.event_id),
                holder,
                deps.claims,
            )
            if bundle is None:
                return EnforcementResult("duplicate", event.event_id, "already handled")
            again = step(bundle)
            if isinstance(again, AlreadyRecorded):
                # The claim await_turn gave us was taken again in between (its lease ran out).
                raise ClaimHeld(f"event {event.event_id} was claimed by another invocation")
            return again
        except BaseException:
            # Handed back or failed: the next delivery need not wait out the lease. (A
            # process that really dies releases nothing; its lease lapses before SQS's
            # visibility timeout brings the message back.)
            deps.guards.release(event.event_id, holder)
            raise
        finally:
            CLAIM_HOLDER.reset(token)

    def record_only(self, event: ParsedEvent, status: FinalStatus, note: str) -> EnforcementResult:
        """An event nothing is evaluated for: its one conditional write, final at once."""
        return self.once(
            event,
            lambda bundle: self.finish(Outcome(event, status, note), recorded=bundle is not None),
        )

    def retrying(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        attempt: Attempt | None,
        step: Callable[[], EnforcementResult],
    ) -> EnforcementResult:
        """Run ``step``; with ``attempt`` (SQS's receive count), a transient failure becomes
        :class:`RetryLater`, and the last attempt leaves one critical message first."""
        try:
            return step()
        except TransientError as exc:
            if attempt is None:
                raise
            failure = RetryLater(f"{exc.code}: {exc}")
        except RetryLater as exc:
            failure = exc
        except Exception:
            self.record_received(event)
            raise
        # Nothing reaches the DLQ unrecorded: the event is in the ledger (as received) before
        # SQS gets it back, whatever step failed (a no-op when it already is).
        self.record_received(event)
        if attempt is not None and attempt.is_last:
            accounts = [a.shared_account_id for a in failure.actions if a.shared_account_id]
            if not accounts and event.shared_account_id:
                accounts = [event.shared_account_id]
            reason = f"{failure.reason} ({attempt})"
            self._deps.ledger.add_outbox([abandoned_item(event, ref, accounts, reason, attempt)])
        raise failure
