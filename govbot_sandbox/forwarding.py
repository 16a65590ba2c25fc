"""Spoke forwarders: what each governed account's EventBridge rules send to the hub bus.

Deployed, a forwarding rule in every governed account and region targets the hub bus, and
EventBridge keeps the envelope's ``account`` and ``region`` on the way. moto's bus-to-bus
target rewrites them, so the sandbox forwards the untouched envelope itself. Only governed
accounts have forwarders (the spoke stacks are deployed there): an event of any other
account never reaches the hub, as in a real deployment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from govbot import routing

EnvelopeSink = Callable[[dict[str, Any]], None]


class SpokeForwarders:
    """An event sink playing the spokes' forwarding rules (moto's pattern matcher).

    Parameters
    ----------
    hub:
        ``(account, region)`` of the hub bus (its own events are already there).
    governed_accounts:
        Accounts with a deployed spoke; other accounts' events are not forwarded.
    own_principal_prefix:
        Whose calls in an account are govbot's own (left out, as the deployed rules do).
    deliver:
        Puts an envelope on the hub bus.
    """

    def __init__(
        self,
        hub: tuple[str, str],
        governed_accounts: Iterable[str],
        own_principal_prefix: Callable[[str], str],
        deliver: EnvelopeSink,
    ) -> None:
        self.hub = hub
        self.governed_accounts = frozenset(governed_accounts)
        self.own_principal_prefix = own_principal_prefix
        self.deliver = deliver
        self._rules: dict[str, list[Any]] = {}

    def __call__(self, envelope: dict[str, Any]) -> None:
        account = str(envelope.get("account"))
        if (account, envelope.get("region")) == self.hub:
            return  # already on the hub bus
        if account not in self.governed_accounts:
            return  # no spoke stack there: nothing forwards it
        if any(pattern.matches_event(envelope) for pattern in self.rules(account)):
            self.deliver(envelope)

    def rules(self, account: str) -> list[Any]:
        """The forwarder rules of ``account``: what they send to the hub, govbot's own calls
        there (the hub's role, or the spoke's remediation role) left out."""
        from moto.events.models import EventPattern

        if account not in self._rules:
            own = self.own_principal_prefix(account)
            patterns = routing.enforcer_patterns(own) + routing.replicator_patterns(own)
            self._rules[account] = [EventPattern.load(json.dumps(p)) for p in patterns]
        return self._rules[account]
