"""Records of the ``EVENT#<id>`` partition: the event, its decisions and its actions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govbot.domain import Mode
from govbot.ledger.keys import EVENT_SK, UtcDatetime, action_sk, decision_sk, event_pk, status_key
from govbot.ledger.records.base import LedgerRecord

EventStatus = Literal["received", "rejected", "ignored", "processed"]
FinalEventStatus = Literal["ignored", "processed"]
DecisionOutcome = Literal["allowed", "violation", "exempted"]
ActionStatus = Literal["started", "succeeded", "failed", "skipped"]

# Event statuses that still need attention keep a ``by-status`` key (EVENT#received lists
# events whose processing never finished); final ones drop it to keep the index sparse.
_OPEN_EVENT_STATUSES: frozenset[str] = frozenset({"received", "rejected"})


class EventRecord(LedgerRecord):
    """One EventBridge event as received (``pk=EVENT#<event_id>``, ``sk=EVENT``).

    ``ts`` is ``occurred_at`` (the API call's time) when known, else ``received_at``.
    ``received_at`` left None is stamped with the ledger's clock on write.
    ``intents`` are the remedies govbot is about to make (``ActionRecord`` dumps, status
    ``started``), written with the event in ONE conditional put before the first AppStream
    call; the commit removes them (the final actions are their own items by then).
    """

    kind: ClassVar[str] = "event"
    json_fields: ClassVar[frozenset[str]] = frozenset({"intents"})

    event_id: str = Field(min_length=1)
    event_name: str | None = None
    event_source: str | None = None  # kept for rejected and ignored events (ours: implied)
    # A rejected input's own eventID: kept here, never its key, so a malformed copy of a
    # real event can never block the real one.
    claimed_event_id: str | None = None
    status: EventStatus = "received"
    reason: str | None = None
    actor_arn: str | None = None
    image_arn: str | None = None
    region: str | None = None
    account_id: str | None = None
    shared_account_id: str | None = None
    occurred_at: UtcDatetime | None = None
    received_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    raw: str = Field(default="", description="the event exactly as delivered (JSON text)")
    note: str | None = None
    intents: list[dict[str, Any]] | None = None

    def keys(self) -> tuple[str, str]:
        return event_pk(self.event_id), EVENT_SK

    def intent_actions(self) -> tuple[ActionRecord, ...]:
        """The remedies recorded with the event before their calls, as ``started`` actions."""
        return tuple(
            ActionRecord.model_validate({**intent, "event_id": self.event_id, "status": "started"})
            for intent in self.intents or ()
        )

    @staticmethod
    def intent_of(action: ActionRecord) -> dict[str, Any]:
        """What ``intents`` keeps of a started action (everything but its event and status)."""
        return action.model_dump(mode="json", exclude={"event_id", "status"}, exclude_none=True)

    def timestamp(self) -> datetime | None:
        return self.occurred_at or self.received_at

    def stamped(self, now: datetime) -> Self:
        return self if self.received_at else self.model_copy(update={"received_at": now})

    def index_attributes(self) -> dict[str, str]:
        if self.status in _OPEN_EVENT_STATUSES:
            return {"status_key": status_key("EVENT", self.status)}
        return {}


class DecisionRecord(LedgerRecord):
    """One policy verdict on one account's permission (``sk=DECISION#rule#account#perm``).

    ``account_id`` is the account the decision is about (the grantee of the share); it is
    also written as ``shared_account_id`` so the ``by-account`` index finds it.
    """

    kind: ClassVar[str] = "decision"

    event_id: str = Field(min_length=1)
    rule_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    permission: str = Field(min_length=1, description="fleet | image_builder | share ...")
    outcome: DecisionOutcome
    mode: Mode
    reason: str = ""
    # The rule only reports (inbound images, exits): never enforced, whatever the mode.
    report_only: bool = False
    exemption_id: str | None = None
    image_arn: str | None = None
    region: str | None = None
    actor_arn: str | None = None
    decided_at: UtcDatetime | None = None

    @property
    def applied_mode(self) -> str:
        """How the verdict was applied: ``enforce``, ``audit`` or ``report-only``."""
        return "report-only" if self.report_only else self.mode

    def keys(self) -> tuple[str, str]:
        return event_pk(self.event_id), decision_sk(self.rule_id, self.account_id, self.permission)

    def timestamp(self) -> datetime | None:
        return self.decided_at

    def stamped(self, now: datetime) -> Self:
        return self if self.decided_at else self.model_copy(update={"decided_at": now})

    def index_attributes(self) -> dict[str, str]:
        return {"shared_account_id": self.account_id}


class ActionRecord(LedgerRecord):
    """One call govbot made (or chose not to make) to AppStream (``sk=ACTION#<seq>#<op>``).

    Write it ``started`` before the call and again with the final status after; the same
    ``(event_id, seq, operation)`` overwrites. ``actor_arn`` is govbot's own principal.
    ``recorded_at`` left None is stamped on write (a copy keeps the time it already has).
    """

    kind: ClassVar[str] = "action"
    json_fields: ClassVar[frozenset[str]] = frozenset({"request"})

    event_id: str = Field(min_length=1)
    seq: int = Field(ge=0, le=9999)
    operation: str = Field(min_length=1, description="e.g. UpdateImagePermissions")
    request: dict[str, Any] = Field(default_factory=dict)
    status: ActionStatus
    error: str | None = None
    image_arn: str | None = None
    region: str | None = None
    account_id: str | None = None
    shared_account_id: str | None = None
    actor_arn: str | None = None
    recorded_at: UtcDatetime | None = None

    @field_validator("request")
    @classmethod
    def _request_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"action request must be JSON-serialisable: {exc}") from exc
        return value

    def keys(self) -> tuple[str, str]:
        return event_pk(self.event_id), action_sk(self.seq, self.operation)

    def timestamp(self) -> datetime | None:
        return self.recorded_at

    def stamped(self, now: datetime) -> Self:
        return self if self.recorded_at else self.model_copy(update={"recorded_at": now})


class EventBundle(BaseModel):
    """Everything under one event id: the event (None if never recorded), decisions, actions."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    event_id: str
    event: EventRecord | None = None
    decisions: tuple[DecisionRecord, ...] = ()
    actions: tuple[ActionRecord, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _with_intents(cls, data: Any) -> Any:
        # Intents recorded with the event and not yet written as actions of their own are
        # the ``started`` actions a crash left (what recovery confirms or closes).
        event = data.get("event") if isinstance(data, dict) else None
        if not isinstance(event, EventRecord) or not event.intents:
            return data
        actions = list(data.get("actions") or ())
        written = {(a.seq, a.operation) for a in actions if isinstance(a, ActionRecord)}
        actions += [a for a in event.intent_actions() if (a.seq, a.operation) not in written]
        actions.sort(key=lambda a: a.seq if isinstance(a, ActionRecord) else 0)
        return {**data, "actions": tuple(actions)}

    @property
    def exists(self) -> bool:
        """True when the event itself was recorded."""
        return self.event is not None

    @property
    def is_final(self) -> bool:
        """True once the outcome was committed (status ``processed`` or ``ignored``)."""
        return self.event is not None and self.event.status in ("processed", "ignored")
