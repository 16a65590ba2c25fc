"""Builds the replicator's real dependencies from its settings (once per warm container)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from govbot.clock import utcnow
from govbot.config import ReplicatorSettings
from govbot.gateways.appstream import AppStreamGateway
from govbot.ledger import Ledger
from govbot.policy.models import Policy
from govbot.replicator.logic import Replicator
from govbot.replicator.ports import ReplicatorDeps
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
            judge=parts.judge,
            governed_accounts=frozenset(settings.governed_account_ids),
            governed_regions=frozenset(settings.governed_regions),
            clock=clock or utcnow,
        )
    )
