"""Builds the replicator's real dependencies from its settings (once per warm container)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from govbot.config import ReplicatorSettings
from govbot.gateways.appstream import AppStreamGateway
from govbot.ledger import Ledger
from govbot.policy.models import Policy
from govbot.replicator.logic import Replicator
from govbot.replicator.ports import ReplicatorDeps, _utcnow
from govbot.runtime import PolicySource, ledger_exemptions, organization_accounts, role_arn_resolver


def build_replicator(
    settings: ReplicatorSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Replicator:
    """The replicator wired to real gateways (each replaceable for tests and the sandbox)."""
    ledger = ledger or Ledger(
        settings.ledger_table_name, retention_days=settings.ledger_retention_days, clock=clock
    )
    appstream = appstream or AppStreamGateway(
        role_arn_for=role_arn_resolver(settings.remediation_role_name)
    )
    policy = policy or PolicySource(
        settings.policy_parameter_name, max_age=settings.policy_cache_seconds
    )
    return Replicator(
        ReplicatorDeps(
            appstream=appstream,
            ledger=ledger,
            policy=policy,
            governed_accounts=frozenset(settings.governed_account_ids),
            governed_regions=frozenset(settings.governed_regions),
            org_accounts=organization_accounts(policy),
            exemptions=ledger_exemptions(ledger),
            clock=clock or _utcnow,
        )
    )
