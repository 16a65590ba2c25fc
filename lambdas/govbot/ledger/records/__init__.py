"""Ledger record types (frozen pydantic models), one per item family."""

from govbot.ledger.records.base import LedgerRecord
from govbot.ledger.records.events import (
    ActionRecord,
    ActionStatus,
    DecisionOutcome,
    DecisionRecord,
    EventBundle,
    EventRecord,
    EventStatus,
    FinalEventStatus,
)
from govbot.ledger.records.inputs import OutcomeCommit, UnhandledInput, UnhandledStatus
from govbot.ledger.records.outbox import (
    CLAIMABLE_OUTBOX_STATUSES,
    MessageKind,
    OutboxItem,
    OutboxStatus,
    Severity,
)
from govbot.ledger.records.state import (
    TERMINAL_COPY_STATES,
    AnnouncedState,
    CopyJob,
    CopyJobState,
    CopyJobStep,
    ExemptionRecord,
    ExemptionSource,
    ExemptionStatus,
)
from govbot.ledger.records.sweep import SweepLane, SweepPass

__all__ = [
    "CLAIMABLE_OUTBOX_STATUSES",
    "TERMINAL_COPY_STATES",
    "ActionRecord",
    "ActionStatus",
    "AnnouncedState",
    "CopyJob",
    "CopyJobState",
    "CopyJobStep",
    "DecisionOutcome",
    "DecisionRecord",
    "EventBundle",
    "EventRecord",
    "EventStatus",
    "ExemptionRecord",
    "ExemptionSource",
    "ExemptionStatus",
    "FinalEventStatus",
    "LedgerRecord",
    "MessageKind",
    "OutboxItem",
    "OutboxStatus",
    "OutcomeCommit",
    "Severity",
    "SweepLane",
    "SweepPass",
    "UnhandledInput",
    "UnhandledStatus",
]
