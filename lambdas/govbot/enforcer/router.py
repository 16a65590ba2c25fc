"""The enforcer's router: read a message body once, send it to the step it calls for.

The enforcer's queue carries CloudTrail events, deferred Slack work and (redriven from the
DLQ) scheduled sweeps. :func:`read_message` decodes a body once and says which it is
(:data:`Message`); anything else, of any shape (a JSON nested too deep for the parser, a
``source`` that is a list, bytes that are not text), is rejected here and only here,
with a bounded reason: recorded, never raised, so it never reaches the DLQ without a
ledger record. A transient failure raises :class:`~govbot.enforcer.resilience.RetryLater`
so the record fails its batch item and SQS delivers it again.
"""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govbot.batch import HandBack
from govbot.enforcer.commit import CommitStep
from govbot.enforcer.deferred import DeferredWork
from govbot.enforcer.enforcement import EnforceStep
from govbot.enforcer.notes import record_only_note
from govbot.enforcer.outcomes import remedy_tally
from govbot.enforcer.ports import EnforcementResult, EnforcerDeps
from govbot.enforcer.rejections import (
    body_text,
    from_the_future,
    is_deterministic,
    record_ignored,
    record_rejection,
    unforeseen,
    unreadable,
)
from govbot.enforcer.resilience import Attempt
from govbot.enforcer.work import WORK_SOURCE
from govbot.events import IgnoredEvent, ParsedEvent, RejectedEvent, event_spec, parse_event
from govbot.schedule import is_scheduled

logger = logging.getLogger(__name__)
Body = str | bytes | dict[str, Any]


@dataclass(frozen=True)
class Unreadable:
    """A body no step can read (rejected with why)."""

    rejection: RejectedEvent


@dataclass(frozen=True)
class Scheduled:
    """A schedule's event (a dead-lettered drift sweep redriven into the events queue)."""

    event: dict[str, Any]


@dataclass(frozen=True)
class Work:
    """A deferred Slack button (source ``govbot.actions``), verified before it is obeyed."""

    envelope: dict[str, Any]


@dataclass(frozen=True)
class CloudTrail:
    """Anything else: what the event parser made of it (parsed, ignored or rejected)."""

    event: ParsedEvent | IgnoredEvent | RejectedEvent


Message = Unreadable | Scheduled | Work | CloudTrail


def read_message(
    body: Body,
    *,
    governed_accounts: frozenset[str],
    governed_regions: frozenset[str],
    schedules: bool = True,
) -> Message:
    """Decode ``body`` once and say what it is; never raises.

    ``schedules`` False: a schedule's event is not recognised (a direct call has no
    sweep to run it) and goes to the parser like any other body.
    """
    try:
        decoded: object = json.loads(body) if isinstance(body, str | bytes) else body
    except ValueError:
        decoded = None  # not JSON: the parser says so, in its words
    except (RecursionError, TypeError) as exc:  # nested too deep for the decoder
        return Unreadable(unreadable("message body could not be read", exc, body))
    if isinstance(decoded, dict):
        if schedules and is_scheduled(decoded):
            return Scheduled(decoded)
        if decoded.get("source") == WORK_SOURCE:
            return Work(decoded)
    if isinstance(body, str) and isinstance(decoded, dict):
        # Decoded once: the parser validates the mapping and keeps the body as its raw text.
        source: Body = decoded
        text: str | None = body
    else:
        source, text = body, None  # not a JSON object: the parser says why, from the body
    event = parse_event(
        source, governed_accounts=governed_accounts, governed_regions=governed_regions, text=text
    )
    return CloudTrail(event)


class Router:
    """Routes message bodies to the enforcer's steps; owns every rejection of a body."""

    def __init__(self, deps: EnforcerDeps, commit: CommitStep, enforce: EnforceStep) -> None:
        self._deps = deps
        self._commit = commit
        self._enforce = enforce
        self._work = DeferredWork(deps, commit, enforce)

    def reject(self, rejected: RejectedEvent) -> EnforcementResult:
        """Record ``rejected`` (with a message to people); the batch goes on."""
        return record_rejection(self._deps.ledger, self._deps.clock, rejected)

    def handle(self, body: Body, attempt: Attempt | None = None) -> EnforcementResult:
        """Parse, record, evaluate and remedy one EventBridge event (or deferred work).

        With ``attempt`` (the handler passes SQS's receive count), a remedy or read that
        failed for a transient reason raises :class:`RetryLater` instead of committing, and
        on the last attempt leaves one critical message first. Without it (a direct call)
        the failure is committed as a failed action.
        """
        message = self._read(body, schedules=False)
        assert not isinstance(message, Scheduled)
        return self._dispatch(message, attempt)

    def handle_message(
        self,
        body: str,
        run_schedule: Callable[[Scheduled], dict[str, Any]],
        *,
        attempt: Attempt | None = None,
    ) -> dict[str, Any]:
        """Route one SQS message body; returns ``{"status", "event_id", "note", "remedies"}``
        for logs and metrics (``remedies``: :func:`govbot.enforcer.outcomes.remedy_tally`).

        ``run_schedule`` runs a redriven scheduled event (the drift sweep lives above the
        enforcer: :mod:`govbot.enforcer.intake` gives it).

        Raises
        ------
        RetryLater
            A transient failure (the ledger holds the attempt): fail the batch item.
        """
        message = self._read(body, schedules=True)
        if isinstance(message, Scheduled):
            return run_schedule(message)
        if isinstance(message, Unreadable):
            return summary(self.reject(message.rejection), tally=False)
        try:
            result = self._dispatch(message, attempt)
        except HandBack:
            raise  # a transient failure, already recorded: SQS delivers it again
        except Exception as exc:
            if not is_deterministic(exc):
                raise
            # The same body would fail the same way on every delivery: record it now (keyed
            # by its hash, escaped, bounded) instead of retrying it into the dead-letter queue.
            logger.exception("message could not be handled; recorded as rejected")
            return summary(self.reject(unforeseen(body_text(body), exc)), tally=False)
        return summary(result, tally=True)

    # -- steps -------------------------------------------------------------------------

    def _read(self, body: Body, *, schedules: bool) -> Message:
        return read_message(
            body,
            governed_accounts=self._deps.governed_accounts,
            governed_regions=self._deps.governed_regions,
            schedules=schedules,
        )

    def _dispatch(self, message: Message, attempt: Attempt | None) -> EnforcementResult:
        if isinstance(message, Unreadable):
            return self.reject(message.rejection)
        if isinstance(message, Work):
            return self._work.run(message.envelope, attempt)
        if isinstance(message, Scheduled):  # only handle_message recognises schedules
            raise AssertionError("a scheduled event is run by handle_message")
        parsed = message.event
        if isinstance(parsed, RejectedEvent):
            return self.reject(parsed)
        if isinstance(parsed, IgnoredEvent):
            return record_ignored(self._deps.ledger, self._deps.clock, parsed)
        return self._event(parsed, attempt)

    def _event(self, parsed: ParsedEvent, attempt: Attempt | None) -> EnforcementResult:
        deps, commit, enforce = self._deps, self._commit, self._enforce
        future = from_the_future(parsed, deps.clock())
        if future is not None:
            return self.reject(future)
        # Nothing is read from the ledger first: the event's one write is conditional on its
        # absence, and only a failed condition (a redelivery) makes govbot read it.
        if parsed.failed:
            note = f"the call failed ({parsed.error_code}): nothing changed, nothing to do"
            return commit.record_only(parsed, "ignored", note)
        if self._is_own_call(parsed):
            # Second guard: the EventBridge rules already keep govbot's own calls away.
            note = "govbot's own remediation call, recognised by its principal: not re-evaluated"
            return commit.record_only(parsed, "ignored", note)
        # What each event calls for is its EventSpec's ``enforcer`` step (events/catalogue).
        spec = event_spec(parsed.event_name)
        step = spec.enforcer if spec is not None else "record"
        ref = parsed.image_ref
        if ref is None or step not in ("inbound", "deleted", "evaluate"):
            return commit.record_only(parsed, "processed", record_only_note(parsed))
        if step == "inbound":
            return commit.retrying(
                parsed, ref, attempt, lambda: enforce.inbound(parsed, ref, attempt)
            )
        if step == "deleted":
            return commit.retrying(parsed, ref, attempt, lambda: enforce.deleted(parsed, ref))
        return commit.retrying(parsed, ref, attempt, lambda: enforce.enforce(parsed, ref, attempt))

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


def summary(result: EnforcementResult, *, tally: bool) -> dict[str, Any]:
    """What the handler logs and counts of one message (``tally``: its remedies too)."""
    summary: dict[str, Any] = {
        "status": result.status,
        "event_id": result.event_id,
        "note": result.note,
    }
    if tally:
        summary["remedies"] = remedy_tally(result.actions)
    return summary
