"""The Slack actions endpoint's parts: ledger, policy, secrets and the enforcer's work queue.

Imports of what the parts are made of happen inside the builder: the handler imports this
module at cold start and pays only for what its first call builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from govbot.wiring.core import _once, clock, parameter_store, session, settings
from govbot.wiring.secrets import secrets_gateway

if TYPE_CHECKING:
    from govbot.actions.endpoint import WorkQueue
    from govbot.actions.guard import RefusalGuard
    from govbot.gateways.secrets import SecretsGateway
    from govbot.ledger import Ledger
    from govbot.policy.source import PolicySource

# The sampled notes of unauthenticated requests are a cost bound, not an audit trail.
REFUSAL_RETENTION_DAYS: Final = 7


@dataclass(frozen=True)
class ActionsParts:
    """What the Slack actions endpoint keeps warm."""

    ledger: Ledger
    policy: PolicySource
    secrets: SecretsGateway
    work_queue: WorkQueue | None
    # Per container: counts of refused unauthenticated requests, per source and in all.
    guard: RefusalGuard
    refusals: Ledger  # the same table, a short TTL: sampled notes of refused requests


def actions_parts() -> ActionsParts:
    """The actions endpoint's parts, built on its first call."""

    def build() -> ActionsParts:
        from govbot.actions.guard import RefusalGuard
        from govbot.config import ActionsSettings
        from govbot.enforcer.work import QueuedWork
        from govbot.gateways.sqs import SqsQueue
        from govbot.ledger import Ledger
        from govbot.policy.source import PolicySource

        config = settings(ActionsSettings)
        secrets = secrets_gateway(
            signing_secret_arn=config.slack_signing_secret_arn,
            work_key_secret_arn=config.work_signing_secret_arn,
        )
        queue = (
            QueuedWork(
                SqsQueue(config.work_queue_url, lambda: session().client("sqs")),
                secrets.work_signing_key,
                clock(),
            )
            if config.work_queue_url
            else None
        )
        return ActionsParts(
            ledger=Ledger(
                config.ledger_table_name,
                session=session(),
                retention_days=config.ledger_retention_days,
            ),
            policy=PolicySource(parameter_store(), config.policy_parameter_name),
            secrets=secrets,
            work_queue=queue,
            guard=RefusalGuard(),
            refusals=Ledger(
                config.ledger_table_name,
                session=session(),
                retention_days=REFUSAL_RETENTION_DAYS,
            ),
        )

    return _once("actions", build)
