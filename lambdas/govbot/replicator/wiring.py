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
from govbot.runtime import governance_parts


def build_replicator(
    settings: ReplicatorSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Replicator:
    """The replicator wired to real gateways (each replaceable for tests and the sandbox)."""
    parts = governance_parts(
        settings, appstream=appstream, ledger=ledger, policy=policy, clock=clock
    )
    return Replicator(
        ReplicatorDeps(
            appstream=parts.appstream,
            ledger=parts.ledger,
            policy=parts.policy,
            governed_accounts=frozenset(settings.governed_account_ids),
            governed_regions=frozenset(settings.governed_regions),
            org_accounts=parts.org_accounts,
            exemptions=parts.exemptions,
            clock=clock or _utcnow,
        )
    )
