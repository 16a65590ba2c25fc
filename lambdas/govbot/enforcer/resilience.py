"""What the enforcer does when the world does not cooperate: retries, give-ups, late reads.

- A remedy (or the read before it) that failed for a transient reason is never committed:
  the attempt is recorded and :class:`RetryLater` hands the message back to SQS. On the
  queue's last receive the enforcer also leaves one critical message naming the image and
  the accounts (:func:`abandoned_item`); the event stays ``received`` and the message goes
  to the dead-letter queue, where its alarm calls people.
- A share removed before govbot read it is still judged from what the event granted
  (:func:`held_grant`): "held for up to N minutes, since removed".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from govbot.batch import HandBack
from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.events import ParsedEvent
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import RemediedDetails, ViolationLine
from govbot.ledger.records.events import ActionRecord, DecisionRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import ViolationRemedied
from govbot.policy.results import Evaluation, Verdict
from govbot.routing import MAX_RECEIVE_COUNT

MAX_REASON = 500


@dataclass(frozen=True)
class Attempt:
    """Which delivery of an SQS message this is, out of how many the queue allows."""

    number: int = 1
    limit: int = MAX_RECEIVE_COUNT

    @property
    def is_last(self) -> bool:
        """True when SQS will dead-letter the message if this attempt fails."""
        return self.number >= self.limit

    @classmethod
    def from_receive_count(cls, receive_count: object, limit: int) -> Attempt:
        """From SQS's ``ApproximateReceiveCount`` (a string; garbage counts as a first try)."""
        try:
            number = int(str(receive_count))
        except ValueError:
            number = 1
        return cls(number=max(1, number), limit=max(1, limit))

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.limit}"


class RetryLater(HandBack):
    """A transient failure: the ledger holds the attempt; SQS must deliver the event again."""

    def __init__(self, reason: str, actions: Sequence[ActionRecord] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.actions = tuple(actions)


def abandoned_item(
    event: ParsedEvent, ref: ImageRef, accounts: Sequence[str], reason: str, attempt: Attempt
) -> OutboxItem:
    """The one critical message of an event whose remedy failed on its last attempt."""
    who = ", ".join(sorted(set(accounts))) or "unknown account(s)"
    payload = ViolationRemedied(
        severity="critical",
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        account_id=ref.account_id,
        actor_arn=event.actor_arn,
        event_id=event.event_id,
        event_name=event.event_name,
        occurred_at=format_ts(event.event_time),
        shared_account_ids=sorted(set(accounts)),
        rule_ids=[],
        summary=(
            f"govbot could not remedy {ref.name} ({ref.region}) for {who} after "
            f"{attempt.number} attempts: the event is in the dead-letter queue and the "
            "forbidden permission may still be in place"
        ),
        details=RemediedDetails(
            action=f"remedy abandoned for {who}: {reason[:MAX_REASON]}",
            attempts=attempt.number,
            error=reason[:MAX_REASON],
            changes=[],
            violations=[],
        ),
    )
    return OutboxItem.from_payload(payload, discriminators=(event.event_id, "abandoned"))


@dataclass(frozen=True)
class HeldGrant:
    """A forbidden grant the event shows, already gone when govbot read the image."""

    account_id: str
    granted: Permissions
    minutes: int
    verdicts: tuple[Verdict, ...]
    evaluation: Evaluation

    @property
    def reason_suffix(self) -> str:
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"held for up to {self.minutes} {unit}, since removed"


def held_grant(
    event: ParsedEvent,
    snapshot: ImageSnapshot,
    now: datetime,
    evaluate: Callable[[ImageSnapshot], Evaluation],
) -> HeldGrant | None:
    """The policy's verdict on what ``event`` granted, when the grant is no longer there."""
    account = event.shared_account_id
    granted = event.permissions
    if event.event_name != "UpdateImagePermissions" or not account or granted is None:
        return None
    if not granted.granted() or granted.granted() <= snapshot.permissions_of(account).granted():
        return None  # nothing granted, or still in place: the normal evaluation judges it
    others = tuple(s for s in snapshot.shared_with if s.account_id != account)
    as_granted = snapshot.model_copy(
        update={
            "shared_with": (
                *others,
                SharedAccountPermission(account_id=account, permissions=granted),
            )
        }
    )
    evaluation = evaluate(as_granted)
    verdicts = tuple(
        v
        for v in evaluation.violations()
        if v.account_id == account and v.permission in granted.granted()
    )
    if not verdicts:
        return None
    minutes = max(1, math.ceil((now - event.event_time).total_seconds() / 60))
    return HeldGrant(account, granted, minutes, verdicts, evaluation)


def held_decisions(event: ParsedEvent, held: HeldGrant) -> list[DecisionRecord]:
    """Violation decisions for a grant that was removed before govbot read it."""
    return [
        DecisionRecord(
            event_id=event.event_id,
            rule_id=v.rule_id,
            account_id=held.account_id,
            permission=v.permission or "share",
            outcome="violation",
            mode=v.mode,
            reason=f"{v.reason}; {held.reason_suffix}"[:1000],
            image_arn=held.evaluation.image_arn,
            region=event.region,
            actor_arn=event.actor_arn,
        )
        for v in held.verdicts
    ]


def held_item(event: ParsedEvent, held: HeldGrant) -> OutboxItem:
    """The message telling people an outsider held a forbidden permission for a while."""
    image = held.evaluation.image_name
    kinds = ", ".join(sorted(str(v.permission) for v in held.verdicts))
    builder = any(v.permission == "image_builder" for v in held.verdicts)
    payload = ViolationRemedied(
        severity="high" if builder else "medium",
        image_arn=held.evaluation.image_arn,
        image_name=image,
        region=event.region,
        account_id=event.account_id,
        actor_arn=event.actor_arn,
        event_id=event.event_id,
        event_name=event.event_name,
        occurred_at=format_ts(event.event_time),
        shared_account_ids=[held.account_id],
        rule_ids=sorted({v.rule_id for v in held.verdicts}),
        summary=(
            f"{held.account_id} held forbidden {kinds} permission on {image} "
            f"({event.region}): {held.reason_suffix}"
        ),
        details=RemediedDetails(
            action="nothing left to remove: the share was removed before govbot read it",
            held_minutes=held.minutes,
            granted_at=format_ts(event.event_time),
            violations=[
                ViolationLine(
                    account_id=held.account_id, permission=v.permission, rule_id=v.rule_id
                )
                for v in held.verdicts
            ],
            changes=[],
            builder_warning=(
                "Image builder permission lets the account build images from this one; "
                "what it built while it held the permission stays out of your control."
                if builder
                else None
            ),
        ),
    )
    return OutboxItem.from_payload(payload, discriminators=(event.event_id, "held"))
