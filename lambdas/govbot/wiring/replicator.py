"""The replicator function's replicator.

Imports of what it is made of happen inside the builders: the handler imports this module
at cold start and pays only for what its first call builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from govbot.wiring.appstream_parts import governance_parts
from govbot.wiring.core import _once, settings

if TYPE_CHECKING:
    from govbot.clock import Clock
    from govbot.config import GovernanceSettings
    from govbot.gateways.appstream import AppStreamGateway
    from govbot.ledger import Ledger
    from govbot.policy.models import Policy
    from govbot.replicator.logic import Replicator


def build_replicator(
    settings: GovernanceSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Clock | None = None,
) -> Replicator:
    """The replicator wired to real gateways (each replaceable for tests and the sandbox)."""
    from govbot.replicator.logic import Replicator
    from govbot.replicator.ports import ReplicatorDeps

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
            clock=parts.clock,
        )
    )


def replicator() -> Replicator:
    """The replicator handler's replicator, built on its first call."""

    def build() -> Replicator:
        from govbot.config import ReplicatorSettings

        return build_replicator(settings(ReplicatorSettings))

    return _once("replicator", build)
