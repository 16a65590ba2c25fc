"""The ledger gateway: govbot's only door to the DynamoDB single table."""

from __future__ import annotations

from govbot.iam import declare
from govbot.ledger._events import EventsMixin
from govbot.ledger._guards import GuardsMixin
from govbot.ledger._outbox import OutboxMixin
from govbot.ledger._queries import QueriesMixin
from govbot.ledger._state import StateMixin
from govbot.ledger._storm import StormMixin
from govbot.ledger._sweep import SweepMixin

# IAM of the ledger's calls; a transaction is authorized item by item (Put, Update,
# ConditionCheck), so TransactWriteItems needs no action of its own.
declare(
    "dynamodb",
    {
        "PutItem": "ledger",
        "UpdateItem": "ledger",
        "ConditionCheckItem": "ledger",
        "GetItem": "ledger",
        "Query": "ledger",
    },
)


class Ledger(
    EventsMixin, OutboxMixin, StateMixin, SweepMixin, QueriesMixin, StormMixin, GuardsMixin
):
    """Records events, decisions, actions, outbox items, exemptions, copy jobs, the drift
    sweep's checkpoint and the notifier's storm state; guards remedies (claims, share fences).

    ``Ledger(table_name, *, client=None, session=None, retention_days=400, clock=None)``:
    ``client`` is a low-level boto3 DynamoDB client (created lazily with adaptive retries
    from ``session``, the process's boto3 Session, when omitted),
    ``clock`` returns an aware UTC datetime (stamps ``ts`` and the TTL ``expires_at``).

    >>> ledger = Ledger("govbot-ledger")  # no AWS call until a method is used
    """
