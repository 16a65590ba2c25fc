"""The DynamoDB single-table ledger: record types and the gateway (see docs "Ledger API")."""

from govbot.ledger.codec import outbox_from_stream_image, record_from_item
from govbot.ledger.errors import (
    ConcurrentUpdate,
    EventNotRecorded,
    LedgerError,
    OutboxNotFound,
    TransactionTooLarge,
)
from govbot.ledger.gateway import Ledger
from govbot.ledger.keys import format_ts, outbox_id_for, parse_ts, rejected_event_id
from govbot.ledger.records import (
    ActionRecord,
    CopyJob,
    CopyJobStep,
    DecisionRecord,
    EventBundle,
    EventRecord,
    ExemptionRecord,
    LedgerRecord,
    MessageKind,
    OutboxItem,
    OutboxStatus,
    OutcomeCommit,
    Severity,
    UnhandledInput,
)
from govbot.ledger.schema import create_ledger_table

__all__ = [
    "ActionRecord",
    "ConcurrentUpdate",
    "CopyJob",
    "CopyJobStep",
    "DecisionRecord",
    "EventBundle",
    "EventNotRecorded",
    "EventRecord",
    "ExemptionRecord",
    "Ledger",
    "LedgerError",
    "LedgerRecord",
    "MessageKind",
    "OutboxItem",
    "OutboxNotFound",
    "OutboxStatus",
    "OutcomeCommit",
    "Severity",
    "TransactionTooLarge",
    "UnhandledInput",
    "create_ledger_table",
    "format_ts",
    "outbox_from_stream_image",
    "outbox_id_for",
    "parse_ts",
    "record_from_item",
    "rejected_event_id",
]
