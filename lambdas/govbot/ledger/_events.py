"""Ledger operations on the ``EVENT#<id>`` partition, including the atomic outcome commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast, get_args

from botocore.exceptions import ClientError

from govbot.ledger._core import NOT_EXISTS, LedgerCore, error_code, is_condition_failure
from govbot.ledger.errors import (
    AnnouncementChanged,
    EventNotRecorded,
    LedgerError,
    TransactionTooLarge,
)
from govbot.ledger.keys import (
    ANNOUNCED_SK,
    EVENT_SK,
    announced_pk,
    event_pk,
    format_ts,
    rejected_event_id,
)
from govbot.ledger.records import (
    ActionRecord,
    AnnouncedState,
    DecisionRecord,
    EventBundle,
    EventRecord,
    FinalEventStatus,
    LedgerRecord,
    OutboxItem,
    OutcomeCommit,
    UnhandledInput,
)

MAX_TRANSACTION_ITEMS: Final = 100
# A rejected payload is kept for diagnosis, not replay: cap it well under the 400 KB item limit.
MAX_RAW_CHARS: Final = 64_000
# No open announcement for the image: absent, or emptied (``status_key`` only while open).
NO_OPEN_ANNOUNCEMENT: Final = "attribute_not_exists(status_key)"


@dataclass(frozen=True)
class Committed:
    """The transaction went through."""


@dataclass(frozen=True)
class EventConditionFailed:
    """The event's condition failed: already committed (or put), or not recorded."""


@dataclass(frozen=True)
class AnnouncementOpen:
    """The image the caller guessed had no open announcement has one (nothing written)."""


@dataclass(frozen=True)
class OutboxExists:
    """Only outbox puts failed: those items (their indices in the outbox) already exist."""

    indices: frozenset[int]


CommitAttempt = Committed | EventConditionFailed | AnnouncementOpen | OutboxExists


class EventsMixin(LedgerCore):
    """record_event, record_unhandled, get_event, put_action, commit_outcome."""

    def record_event(self, rec: EventRecord) -> bool:
        """Record a received event; False when it was already recorded (a redelivery).

        On False, ``get_event(id).is_final`` tells whether the first delivery finished.
        """
        return self._put_new(rec)

    def record_unhandled(self, unhandled: UnhandledInput) -> str:
        """Record an input that was refused (``rejected``) or is not governed (``ignored``);
        return its event id.

        A rejection's id is always ``REJECTED#<sha256 of raw>`` (a duplicate is not an
        error): the ``event_id`` the payload claimed is kept as ``claimed_event_id``, never
        used as the key, so a malformed copy of a real event never blocks the real one.
        An ignored event keeps its own id. The payload's own labels (name, source, account,
        region) are kept when present.
        """
        claimed = None
        raw = unhandled.raw
        if unhandled.status == "rejected":
            rec_id, claimed = rejected_event_id(raw), unhandled.event_id
        else:
            rec_id = unhandled.event_id or rejected_event_id(raw)
        note = None
        if len(raw) > MAX_RAW_CHARS:
            note = f"raw truncated from {len(raw)} to {MAX_RAW_CHARS} characters"
            raw = raw[:MAX_RAW_CHARS]
        self._put_new(
            EventRecord(
                event_id=rec_id,
                status=unhandled.status,
                reason=unhandled.reason,
                raw=raw,
                received_at=unhandled.received_at,
                note=note,
                claimed_event_id=claimed,
                event_name=unhandled.event_name,
                event_source=unhandled.event_source,
                account_id=unhandled.account_id,
                region=unhandled.region,
            )
        )
        return rec_id

    def record_rejected(
        self, *, reason: str, raw: str, received_at: datetime, **labels: str | None
    ) -> str:
        """:meth:`record_unhandled` of a rejection, by keyword (the Slack endpoint's
        ``RefusalLog``); ``labels``: ``event_id``, ``event_name``, ``event_source``,
        ``account_id``, ``region``."""
        return self.record_unhandled(UnhandledInput("rejected", reason, raw, received_at, **labels))

    def get_event(self, event_id: str) -> EventBundle:
        """The event, its decisions and its actions (actions in ``seq`` order): one Query."""
        event: EventRecord | None = None
        decisions: list[DecisionRecord] = []
        actions: list[ActionRecord] = []
        for record in self._query(
            key_condition="#pk = :pk",
            names={"#pk": "pk"},
            values={":pk": event_pk(event_id)},
        ):
            if isinstance(record, EventRecord):
                event = record
            elif isinstance(record, DecisionRecord):
                decisions.append(record)
            elif isinstance(record, ActionRecord):
                actions.append(record)
        return EventBundle(
            event_id=event_id, event=event, decisions=tuple(decisions), actions=tuple(actions)
        )

    def put_action(self, action: ActionRecord) -> None:
        """Upsert an action (``started`` before the AppStream call, final status after)."""
        self._put(action)

    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        """Upsert decisions outside a commit (the overflow of a very long share list)."""
        for decision in decisions:
            self._put(decision)

    def commit_outcome(self, commit: OutcomeCommit) -> bool:
        """Write decisions, final actions, outbox items and the event status atomically.

        One TransactWriteItems; the event update is conditional on status ``received``, so a
        second commit of the same event writes nothing and returns False. An outbox item
        that already exists (same deterministic id written earlier) is dropped and the
        commit retried once. Raises :class:`TransactionTooLarge` above 100 items (split
        nothing: atomicity is the point) and :class:`EventNotRecorded` for an unknown event.
        ``note`` (why the event ended as it did) is stored on the event record.

        ``commit.new_event``: the event was never recorded; it is put with its final status
        in the same call, conditional on absence (False when it exists: read it to know
        whether it is final). A commit of the event alone is one conditional PutItem.
        ``commit.announced_guard``: when that image has an open announcement,
        :class:`AnnouncementChanged` is raised (nothing written).
        """
        event_id, event_status, note = commit.event_id, commit.event_status, commit.note
        decisions, actions, outbox = commit.decisions, commit.actions, commit.outbox
        new_event, announced = commit.new_event, commit.announced
        announced_guard = commit.announced_guard
        if event_status not in get_args(FinalEventStatus):
            raise ValueError(
                f"event_status must be one of {get_args(FinalEventStatus)}, got {event_status!r}"
            )
        owned: list[DecisionRecord | ActionRecord] = [*decisions, *actions]
        for record in owned:
            if record.event_id != event_id:
                raise ValueError(
                    f"{type(record).__name__} {record.keys()[1]!r} belongs to event "
                    f"{record.event_id!r}, not {event_id!r}"
                )
        if new_event is not None and new_event.event_id != event_id:
            raise ValueError(f"new_event {new_event.event_id!r} is not event {event_id!r}")
        now = self.now()
        body = [r.stamped(now) for r in (*decisions, *actions)]
        pending_outbox = [o.stamped(now) for o in outbox]
        guard = self._announcement_op(announced, announced_guard, now)
        self._check_transaction(
            event_id, [*body, *pending_outbox], extra=1 if guard is not None else 0
        )
        first = self._event_op(event_id, event_status, now, note, new_event)
        if new_event is not None and guard is None and not body and not pending_outbox:
            return self._put_event_alone(first)
        for _ in range(2):
            attempt = self._try_commit(first, guard, body, pending_outbox)
            if isinstance(attempt, Committed):
                return True
            if isinstance(attempt, AnnouncementOpen):
                raise AnnouncementChanged(
                    f"commit of event {event_id!r}: {announced_guard} has an open announcement"
                )
            if isinstance(attempt, EventConditionFailed):
                return False if new_event is not None else self._explain_event_failure(event_id)
            # Only outbox conditions failed: those notifications already exist. Drop them.
            pending_outbox = [o for i, o in enumerate(pending_outbox) if i not in attempt.indices]
        raise LedgerError(f"commit of event {event_id!r} kept failing on outbox conditions")

    # -- helpers ---------------------------------------------------------------------------
    def _check_transaction(
        self, event_id: str, records: Sequence[LedgerRecord], *, extra: int = 0
    ) -> None:
        count = 1 + extra + len(records)
        if count > MAX_TRANSACTION_ITEMS:
            raise TransactionTooLarge(
                f"commit of event {event_id!r} needs {count} items (1 event update + "
                f"{len(records)} decisions/actions/outbox); DynamoDB allows "
                f"{MAX_TRANSACTION_ITEMS}. Fold decisions or outbox messages before committing."
            )
        seen: set[tuple[str, str]] = set()
        for record in records:
            key = record.keys()
            if key in seen:
                raise ValueError(f"commit of event {event_id!r} holds {key} twice")
            seen.add(key)

    def _event_op(
        self,
        event_id: str,
        event_status: str,
        now: datetime,
        note: str | None,
        new_event: EventRecord | None,
    ) -> dict[str, Any]:
        """The event's part of a commit: put it final (new), or move it out of received."""
        if new_event is not None:
            final = new_event.model_copy(
                update={
                    "status": event_status,
                    "note": note,
                    "completed_at": now,
                    "intents": None,
                }
            ).stamped(now)
            return {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._encode(final),
                    "ConditionExpression": NOT_EXISTS,
                }
            }
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": self._key(event_pk(event_id), EVENT_SK),
                "UpdateExpression": "SET #status = :status, completed_at = :now, "
                "note = :note REMOVE status_key, intents",
                "ConditionExpression": "#status = :received",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":status": {"S": event_status},
                    ":now": {"S": format_ts(now)},
                    ":note": {"S": note} if note else {"NULL": True},
                    ":received": {"S": "received"},
                },
            }
        }

    def _announcement_op(
        self, announced: AnnouncedState | None, guard: str | None, now: datetime
    ) -> dict[str, Any] | None:
        """The announcement record's part of a commit (None: not touched)."""
        if announced is not None:
            put: dict[str, Any] = {
                "TableName": self.table_name,
                "Item": self._encode(announced.model_copy(update={"updated_at": now})),
            }
            if guard is not None:
                if guard != announced.image_arn:
                    raise ValueError(f"announced_guard {guard!r} is not {announced.image_arn!r}")
                put["ConditionExpression"] = NO_OPEN_ANNOUNCEMENT
            return {"Put": put}
        if guard is None:
            return None
        return {
            "ConditionCheck": {
                "TableName": self.table_name,
                "Key": self._key(announced_pk(guard), ANNOUNCED_SK),
                "ConditionExpression": NO_OPEN_ANNOUNCEMENT,
            }
        }

    def _put_event_alone(self, op: dict[str, Any]) -> bool:
        """A new event with nothing else to commit: one conditional PutItem."""
        try:
            self.client.put_item(**op["Put"])
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def _try_commit(
        self,
        first: dict[str, Any],
        guard: dict[str, Any] | None,
        body: Sequence[LedgerRecord],
        outbox: Sequence[OutboxItem],
    ) -> CommitAttempt:
        """One transaction attempt and which of its conditions failed, if any."""
        ops: list[dict[str, Any]] = [first, *([guard] if guard is not None else [])]
        ops += [{"Put": {"TableName": self.table_name, "Item": self._encode(r)}} for r in body]
        ops += [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._encode(o),
                    "ConditionExpression": NOT_EXISTS,
                }
            }
            for o in outbox
        ]
        try:
            self.client.transact_write_items(TransactItems=cast(Any, ops))
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            codes = [str(r.get("Code", "")) for r in reasons]
            if not codes or codes[0] == "ConditionalCheckFailed":
                return EventConditionFailed()
            if guard is not None and len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                return AnnouncementOpen()
            first_outbox = len(ops) - len(outbox)
            failed = {
                i - first_outbox
                for i, code in enumerate(codes)
                if code == "ConditionalCheckFailed" and i >= first_outbox
            }
            if not failed or any(c not in ("None", "ConditionalCheckFailed", "") for c in codes):
                raise
            return OutboxExists(frozenset(failed))
        return Committed()

    def _explain_event_failure(self, event_id: str) -> bool:
        """The event condition failed: already committed (False), or a caller error."""
        current = self._get(event_pk(event_id), EVENT_SK)
        if current is None:
            raise EventNotRecorded(
                f"cannot commit event {event_id!r}: it was never recorded (call record_event)"
            )
        assert isinstance(current, EventRecord)
        if current.status in ("processed", "ignored"):
            return False
        raise LedgerError(
            f"cannot commit event {event_id!r}: its status is {current.status!r}, "
            "only 'received' events take an outcome"
        )
