"""Permission enforcement: one CloudTrail event in, a ledger story and minimal remedies out.

The enforcer never trusts the event's view of the world: it re-reads the image's current
permissions, evaluates them with the shared policy engine, and removes only what the policy
forbids. Events can be stale, duplicated or out of order; all three end up harmless.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer import deferred, outcomes
from govbot.enforcer.announce import announce, deleted_resolution, resolved_item
from govbot.enforcer.consumers import ConsumerView, read_consumer
from govbot.enforcer.guards import CLAIM_HOLDER, await_turn, new_holder
from govbot.enforcer.inbound import (
    current_announced,
    reread_for_event,
    standing_item,
)
from govbot.enforcer.notes import record_only_note, summary_note
from govbot.enforcer.ports import (
    EnforcementResult,
    EnforcerDeps,
)
from govbot.enforcer.recovery import (
    INTERRUPTED,
    earlier_successes,
    recovered_actions,
    recovered_decisions,
)
from govbot.enforcer.rejections import from_the_future, storable
from govbot.enforcer.remedies import Recorded, remedy
from govbot.enforcer.resilience import (
    Attempt,
    RetryLater,
    abandoned_item,
    held_decisions,
    held_grant,
    held_item,
)
from govbot.enforcer.takeaway import (
    LATE_WRITE,
    final_share,
    late_write_undo,
)
from govbot.enforcer.work import work_envelope
from govbot.events import IgnoredEvent, ParsedEvent, RejectedEvent, event_spec, parse_event
from govbot.exit_facts import EXIT_EVENTS
from govbot.gateways.appstream import TransientError
from govbot.ledger.errors import AnnouncementChanged
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState
from govbot.policy.engine import reads_exits, reads_tags, reads_uses
from govbot.policy.results import Evaluation

# Keep the decision+outbox transaction well under DynamoDB's 100-item limit.
MAX_DECISIONS_IN_TRANSACTION = 80


class Enforcer:
    """Handles one event at a time; safe to run again on the same event."""

    def __init__(self, deps: EnforcerDeps) -> None:
        self._deps = deps

    @property
    def deps(self) -> EnforcerDeps:
        """The injected dependencies (the drift sweep builds a run-scoped copy from them)."""
        return self._deps

    def evaluate(self, snapshot: ImageSnapshot, now: datetime | None = None) -> Evaluation:
        """The policy's verdicts on ``snapshot`` at ``now``, with the same inputs as an event."""
        return self._deps.judge.evaluate(snapshot, now or self._deps.clock())

    def enforce_image(
        self, event: ParsedEvent, snapshot: ImageSnapshot | None = None
    ) -> EnforcementResult:
        """Enforce the policy on ``event``'s image as if the event had just arrived.

        For synthetic events (the drift sweep): record, re-read, evaluate, remedy, commit,
        exactly like a CloudTrail event; safe to call again with the same ``event_id``.
        ``snapshot`` is the image's state the caller has just read (the sweep's listing):
        given, it is used instead of reading the image again.
        """
        ref = event.image_ref
        if ref is None:
            raise ValueError(f"event {event.event_id!r} names no image to enforce")
        return self.first_attempt(event, ref, fresh=snapshot, guess_announced=snapshot is None)

    def handle(
        self, body: str | bytes | dict[str, Any], attempt: Attempt | None = None
    ) -> EnforcementResult:
        """Parse, record, evaluate and remedy one EventBridge event (an SQS message body).

        With ``attempt`` (the handler passes SQS's receive count), a remedy or read that
        failed for a transient reason raises :class:`RetryLater` instead of committing, and
        on the last attempt leaves one critical message first. Without it (a direct call)
        the failure is committed as a failed action.
        """
        deps = self._deps
        try:
            request = work_envelope(body)
            parsed = (
                None
                if request is not None
                else parse_event(
                    body,
                    governed_accounts=deps.governed_accounts,
                    governed_regions=deps.governed_regions,
                )
            )
        except (RecursionError, TypeError, ValueError, UnicodeError) as exc:
            # Before anything is recorded: a body of a shape no step expected (nested too
            # deep for the JSON parser, say) is rejected with a bounded reason, not raised.
            reason = f"message body could not be read: {type(exc).__name__}: {exc}"[:300]
            return self.reject(RejectedEvent(reason=reason, raw=_as_text(body)))
        if request is not None:
            return deferred.run_work(self, request, attempt)
        assert parsed is not None
        if isinstance(parsed, RejectedEvent):
            return self.reject(parsed)
        if isinstance(parsed, IgnoredEvent):
            return self._ignore(parsed)
        future = from_the_future(parsed, deps.clock())
        if future is not None:
            return self.reject(future)
        # Nothing is read from the ledger first: the event's one write is conditional on its
        # absence, and only a failed condition (a redelivery) makes govbot read it.
        if parsed.failed:
            note = f"the call failed ({parsed.error_code}): nothing changed, nothing to do"
            return self._record_only(parsed, "ignored", note)
        if self._is_own_call(parsed):
            # Second guard: the EventBridge rules already keep govbot's own calls away.
            note = "govbot's own remediation call, recognised by its principal: not re-evaluated"
            return self._record_only(parsed, "ignored", note)
        # What each event calls for is its EventSpec's ``enforcer`` step (events/catalogue).
        spec = event_spec(parsed.event_name)
        step = spec.enforcer if spec is not None else "record"
        if step == "inbound" and parsed.image_ref is not None:
            return self.retrying(parsed, parsed.image_ref, attempt, self._inbound, attempt)
        if step == "deleted" and parsed.image_ref is not None:
            return self.retrying(parsed, parsed.image_ref, attempt, self._deleted)
        if step != "evaluate" or parsed.image_ref is None:
            return self._record_only(parsed, "processed", record_only_note(parsed))
        return self.retrying(parsed, parsed.image_ref, attempt, self.first_attempt, attempt)

    # -- steps -------------------------------------------------------------------------

    def retrying(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        attempt: Attempt | None,
        step: Callable[..., EnforcementResult],
        *args: Any,
    ) -> EnforcementResult:
        """Run ``step``; a transient failure becomes :class:`RetryLater` (see ``handle``)."""
        try:
            return step(event, ref, *args)
        except TransientError as exc:
            if attempt is None:
                raise
            failure = RetryLater(f"{exc.code}: {exc}")
        except RetryLater as exc:
            failure = exc
        except Exception:
            self._deps.ledger.record_event(self.event_record(event))
            raise
        # Nothing reaches the DLQ unrecorded: the event is in the ledger (as received) before
        # SQS gets it back, whatever step failed (a no-op when it already is).
        self._deps.ledger.record_event(self.event_record(event))
        if attempt is not None and attempt.is_last:
            accounts = [a.shared_account_id for a in failure.actions if a.shared_account_id]
            if not accounts and event.shared_account_id:
                accounts = [event.shared_account_id]
            reason = f"{failure.reason} ({attempt})"
            self._deps.ledger.add_outbox([abandoned_item(event, ref, accounts, reason, attempt)])
        raise failure

    def reject(self, rejected: RejectedEvent) -> EnforcementResult:
        """Record ``rejected`` (with a message to people); the batch goes on.

        Whatever the input held, what is stored is escaped and bounded (``rejections.storable``),
        and the record is keyed by the input's hash, never by the eventID it claims.
        """
        rejected = storable(rejected)
        ledger_id = self._deps.ledger.record_rejected(
            reason=rejected.reason,
            raw=rejected.raw,
            event_id=rejected.event_id,
            received_at=self._deps.clock(),
            event_name=rejected.event_name,
            event_source=rejected.event_source,
            account_id=rejected.account_id,
            region=rejected.region,
        )
        self._deps.ledger.add_outbox([outcomes.rejected_item(rejected, ledger_id)])
        return EnforcementResult("rejected", ledger_id, rejected.reason)

    def _ignore(self, ignored: IgnoredEvent) -> EnforcementResult:
        """A valid event govbot does not govern: recorded with why, nobody is alerted."""
        ledger_id = self._deps.ledger.record_ignored(
            reason=ignored.reason,
            raw=ignored.raw,
            event_id=ignored.event_id,
            received_at=self._deps.clock(),
            event_name=ignored.event_name,
            event_source=ignored.event_source,
            account_id=ignored.account_id,
            region=ignored.region,
        )
        return EnforcementResult("ignored", ledger_id, ignored.reason)

    def _record_only(
        self, event: ParsedEvent, status: Literal["processed", "ignored"], note: str
    ) -> EnforcementResult:
        """An event nothing is evaluated for: its one conditional write, final at once."""
        return self._once(
            event, lambda bundle: self.finish(event, status, note, recorded=bundle is not None)
        )

    def _once(
        self, event: ParsedEvent, step: Callable[[EventBundle | None], EnforcementResult]
    ) -> EnforcementResult:
        """``step(None)``, which assumes the event is not in the ledger yet (the usual case).

        When a conditional write finds it there (a redelivery), the ledger is read once: a
        final event is a duplicate; an unfinished one (an earlier attempt crashed or was
        handed back) is completed by ``step(bundle)``.
        """
        deps = self._deps
        holder = new_holder()
        token = CLAIM_HOLDER.set(holder)
        try:
            try:
                return step(None)
            except Recorded:
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
                return step(bundle)
        except BaseException:
            # Handed back or failed: the next delivery need not wait out the lease. (A
            # process that really dies releases nothing; its lease lapses before SQS's
            # visibility timeout brings the message back.)
            deps.guards.release(event.event_id, holder)
            raise
        finally:
            CLAIM_HOLDER.reset(token)

    def _inbound(
        self, event: ParsedEvent, ref: ImageRef, attempt: Attempt | None
    ) -> EnforcementResult:
        """A fleet or builder created or repointed: judge what it runs if another owns it."""
        deps = self._deps
        if not reads_uses(deps.judge.policy()):
            return self._record_only(event, "processed", record_only_note(event))
        snapshot, why = reread_for_event(deps.appstream, event, deps.governed_accounts)
        if snapshot is None:
            return self._record_only(event, "processed", f"{record_only_note(event)}; {why}")
        return self.first_attempt(event, snapshot.ref, attempt, fresh=snapshot)

    def _deleted(self, event: ParsedEvent, ref: ImageRef) -> EnforcementResult:
        """An image deleted: its standing findings are resolved once it is really gone."""
        deps = self._deps
        outbox, state = deleted_resolution(deps.ledger, deps.appstream, event, ref, deps.clock())
        note = record_only_note(event) + ("; standing findings resolved" if outbox else "")
        result = self._once(
            event,
            lambda bundle: self.finish(
                event, "processed", note, outbox=outbox, recorded=bundle is not None
            ),
        )
        if state is not None and result.status != "duplicate":
            deps.ledger.put_announced(state)
        return result

    def first_attempt(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        attempt: Attempt | None = None,
        *,
        fresh: ImageSnapshot | None = None,
        guess_announced: bool = True,
    ) -> EnforcementResult:
        """Read the image (unless ``fresh`` is given), then enforce: see :meth:`_once`.
        Also the deferred re-apply's step (``deferred.run_work``)."""
        deps = self._deps
        snapshot = fresh if fresh is not None else self._read(ref, event)
        # The owner's delete: stamped on the share's fence; a share that exists only because
        # govbot's remedy landed after it is deleted again (see govbot.enforcer.takeaway).
        undone = late_write_undo(
            deps.appstream, deps.guards, event, ref, snapshot, deps.bot_principal_arn
        )
        if undone is not None and undone.status == "succeeded":
            snapshot = self._read(ref, event)
        result = self._once(
            event,
            lambda bundle: self._enforce(
                event, ref, bundle, attempt, snapshot, guess_announced, undone
            ),
        )
        if fresh is None and snapshot is not None and (snapshot.exports or snapshot.compute):
            self._exit_remedies(result, snapshot)  # the sweep (fresh given) does its own
        return result

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

    def _enforce(
        self,
        event: ParsedEvent,
        ref: ImageRef,
        bundle: EventBundle | None,
        attempt: Attempt | None,
        snapshot: ImageSnapshot | None,
        guess_announced: bool = True,
        undone: ActionRecord | None = None,
    ) -> EnforcementResult:
        """Evaluate ``snapshot``, remedy, commit. ``bundle`` None: the event is not in the
        ledger yet (its first write raises ``Recorded`` if it is). ``undone``: govbot's
        late write, deleted again on the owner's delete (committed with the outcome)."""
        deps = self._deps
        recorded = bundle is not None
        if snapshot is None:
            note = f"image {ref.arn} no longer exists"
            return self.finish(event, "ignored", note, recorded=recorded)
        now = deps.clock()
        evaluation = self.evaluate(snapshot, now)
        past = bundle or EventBundle(event_id=event.event_id)
        actions = recovered_actions(past, snapshot) + earlier_successes(past)
        if undone is not None:
            actions.append(undone.model_copy(update={"seq": len(past.actions)}))
        actions += remedy(
            deps,
            event,
            ref,
            evaluation,
            first_seq=len(past.actions) + (undone is not None),
            retry=attempt is not None,
            recorded=recorded,
            event_record=self.event_record,
        )
        recorded = recorded or bool(evaluation.enforced_changes())
        outbox: list[OutboxItem] = []
        held = held_grant(event, snapshot, now, lambda image: self.evaluate(image, now))
        if held is not None and any(
            a.shared_account_id == held.account_id for a in (*past.actions, *actions)
        ):
            held = None  # govbot removed it itself (an earlier attempt): reported as a remedy
        if held is not None:
            outbox.append(held_item(event, held))
        # An attempt a crash interrupted is superseded by this run's re-evaluation: it is
        # recorded, but the message reports only what govbot did (or failed to do) now.
        # govbot's late write undone on the owner's delete is told in the stop-sharing message.
        reported = [
            a
            for a in actions
            if a.error != INTERRUPTED
            and a.request.get("undo") != LATE_WRITE
            and a.status != "skipped"
        ]
        if reported:
            consumers = {
                a.shared_account_id: self._consumer(ref, a.shared_account_id)
                for a in reported
                if a.shared_account_id and a.status == "succeeded"
            }
            outbox.append(
                outcomes.remedied_item(event, evaluation, reported, deps.clock(), consumers)
            )
        stop_sharing: list[OutboxItem] = []
        if event.event_name == "DeleteImagePermissions":
            account = event.shared_account_id or ""
            consumer = self._consumer(ref, account)
            # What the message says is the real end state, govbot's own undo included.
            end = final_share(snapshot, account, actions)
            stop_sharing.append(
                outcomes.stop_sharing_item(event, ref.arn, ref.name, consumer, end, undone)
            )
        decisions = outcomes.decision_records(event, evaluation)
        if held is not None:
            extra = held_decisions(event, held)
            taken = {(d.rule_id, d.account_id, d.permission) for d in extra}
            decisions = [
                d for d in decisions if (d.rule_id, d.account_id, d.permission) not in taken
            ]
            decisions += extra
        decisions += recovered_decisions(event, actions, decisions)
        note = summary_note(evaluation, actions)
        if held is not None and not evaluation.violations() and not actions:
            note = f"{held.account_id}: {held.reason_suffix}"

        def commit(previous: AnnouncedState | None, guard: str | None) -> EnforcementResult:
            # Standing violations are announced when they appear, change or go (not every
            # time an event or a sweep sees them again): see govbot.enforcer.announce.
            told = announce(
                previous,
                ref,
                evaluation.audit_violations(),
                deps.clock(),
                viewer_account_id=snapshot.viewer_account_id,
            )
            items = list(outbox)
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
            items += stop_sharing
            result = self.finish(
                event, "processed", note, decisions, actions, items, evaluation,
                recorded=recorded, announced=told.state, announced_guard=guard,
            )  # fmt: skip
            return replace(result, fresh=told.fresh)

        if guess_announced and snapshot.viewer_account_id is None:
            try:
                # Optimistically, no standing finding was announced for the image: the
                # commit checks that instead of reading it first (nothing written if not).
                return commit(None, ref.arn)
            except AnnouncementChanged:
                pass
        # The drift sweep reads it first: it sees every image with standing findings again.
        return commit(current_announced(deps.ledger, snapshot), None)

    def finish(
        self,
        event: ParsedEvent,
        status: Literal["processed", "ignored"],
        note: str,
        decisions: Sequence[DecisionRecord] = (),
        actions: Sequence[ActionRecord] = (),
        outbox: Sequence[OutboxItem] = (),
        evaluation: Evaluation | None = None,
        *,
        recorded: bool = True,
        announced: AnnouncedState | None = None,
        announced_guard: str | None = None,
    ) -> EnforcementResult:
        """Commit the outcome in one write. ``recorded`` False: the event is put with it,
        conditional on its absence (``Recorded`` when it is there already)."""
        ledger = self._deps.ledger
        decisions = list(decisions)
        if len(decisions) > MAX_DECISIONS_IN_TRANSACTION:
            # Decisions are idempotent upserts; only the ones that drive the outbox must
            # share its transaction, so the overflow goes first, outside it.
            decisions.sort(key=lambda d: d.outcome != "violation")
            ledger.put_decisions(decisions[MAX_DECISIONS_IN_TRANSACTION:])
            decisions = decisions[:MAX_DECISIONS_IN_TRANSACTION]
        committed = ledger.commit_outcome(
            event.event_id,
            decisions=decisions,
            actions=actions,
            outbox=outbox,
            event_status=status,
            note=note,
            new_event=None if recorded else self.event_record(event),
            announced=announced,
            announced_guard=announced_guard,
        )
        if not committed:
            if not recorded:
                raise Recorded(event.event_id)
            return EnforcementResult("duplicate", event.event_id, "committed by another delivery")
        return EnforcementResult(
            status, event.event_id, note, tuple(actions), tuple(outbox), evaluation
        )

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

    def _consumer(self, ref: ImageRef, account_id: str) -> ConsumerView | None:
        """The consumer's fleets and builders on ``ref`` when it is a governed account."""
        return read_consumer(self._deps.appstream, ref, account_id, self._deps.governed_accounts)

    def _is_own_call(self, event: ParsedEvent) -> bool:
        actor = event.actor_arn or ""
        return any(is_principal(actor, pattern) for pattern in self._deps.self_principals)


def is_principal(actor_arn: str, pattern: str) -> bool:
    """``actor_arn`` matches ``pattern``: a glob, or, without wildcards, an ARN prefix.

    Deployed, the patterns are assumed-role prefixes (``...:assumed-role/<role>/``): the
    session name after the last ``/`` varies per Lambda instance.
    """
    if any(char in pattern for char in "*?["):
        return fnmatch.fnmatchcase(actor_arn, pattern)
    return bool(actor_arn) and actor_arn.startswith(pattern)


def _as_text(body: str | bytes | dict[str, Any]) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return repr(body)[:64_000]
