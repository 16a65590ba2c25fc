"""Errors the ledger raises. Duplicates that idempotency expects are not errors."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every ledger error."""


class ConcurrentUpdate(LedgerError):
    """An optimistic-lock condition failed: someone else wrote the item first."""


class TransactionTooLarge(LedgerError):
    """A commit would exceed DynamoDB's 100-item TransactWriteItems limit."""


class EventNotRecorded(LedgerError):
    """A commit named an event that was never recorded with ``record_event``."""


class OutboxNotFound(LedgerError):
    """An outbox id that has no item."""


class AnnouncementChanged(LedgerError):
    """A commit assumed no open announcement for the image, and one exists: read it, retry."""
