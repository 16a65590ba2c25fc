"""Builds the real dependencies of each handler from its settings, once per warm container.

Nothing here runs at import time: handlers call these factories on their first invocation,
so a bad environment fails that invocation with a clear ConfigError instead of an import
crash, and tests can build the same objects with injected clients.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools.utilities import parameters

from govbot.clock import utcnow
from govbot.config import EnforcerSettings, GovernanceSettings
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.ports import EnforcerDeps
from govbot.gateways.appstream import AppStreamGateway
from govbot.gateways.organizations import OrganizationAccounts
from govbot.governance import build_judge
from govbot.ledger import Ledger
from govbot.policy.judge import Judge
from govbot.policy.loader import parse_policy
from govbot.policy.models import Policy


class PolicySource:
    """The policy YAML from SSM (Powertools Parameters, cached), parsed once per version."""

    def __init__(self, parameter_name: str, *, max_age: int = 60) -> None:
        self._name = parameter_name
        self._max_age = max_age
        self._lock = threading.Lock()
        self._digest = ""
        self._policy: Policy | None = None
        # A provider of its own: Powertools' shared default provider caches by name only,
        # so another reader's longer max_age would otherwise decide how stale we may be.
        self._provider: parameters.SSMProvider | None = None

    def __call__(self) -> Policy:
        if self._provider is None:
            self._provider = parameters.SSMProvider()
        text = str(self._provider.get(self._name, max_age=self._max_age))
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._lock:
            if self._policy is None or digest != self._digest:
                # A bad policy raises PolicyError naming the parameter and the field.
                self._policy = parse_policy(text, source=f"ssm:{self._name}")
                self._digest = digest
            return self._policy

    def latest(self) -> Policy:
        """The policy last read, without another SSM round trip (reads it if none yet)."""
        return self._policy if self._policy is not None else self()


def role_arn_resolver(role_name: str, hub_account_id: str = "") -> Callable[[str], str | None]:
    """Account -> remediation role ARN there; None means "act with our own credentials".

    The hub's own account has no remediation role (the spoke role stacks exist only in
    spoke accounts), so govbot acts there with the function's role.
    """
    if not role_name:
        return lambda _account: None
    return lambda account: (
        None if account == hub_account_id else f"arn:aws:iam::{account}:role/{role_name}"
    )


def organization_accounts(policy: Callable[[], Policy]) -> Callable[[], frozenset[str]]:
    """Member accounts of the AWS Organization, cached for the policy's ``cache_seconds``.

    The cache lives in the organizations gateway's module, so it survives warm invocations
    and is shared by every instance made here.
    """

    # The caller has just read the policy to evaluate with it: reuse that read.
    current = policy.latest if isinstance(policy, PolicySource) else policy

    def members() -> frozenset[str]:
        seconds = current().organization.cache_seconds
        return OrganizationAccounts(cache_seconds=seconds).member_account_ids()

    return members


@dataclass(frozen=True)
class GovernanceParts:
    """The gateways and policy views the enforcer and the replicator are both built from."""

    ledger: Ledger
    appstream: AppStreamGateway
    policy: Callable[[], Policy]
    judge: Judge


def governance_parts(
    settings: GovernanceSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> GovernanceParts:
    """Real gateways from ``settings``; each one replaceable (tests, the sandbox)."""
    ledger = ledger or Ledger(
        settings.ledger_table_name, retention_days=settings.ledger_retention_days, clock=clock
    )
    appstream = appstream or AppStreamGateway(
        role_arn_for=role_arn_resolver(settings.remediation_role_name, settings.hub_account_id)
    )
    policy = policy or PolicySource(
        settings.policy_parameter_name, max_age=settings.policy_cache_seconds
    )
    return GovernanceParts(
        ledger=ledger,
        appstream=appstream,
        policy=policy,
        judge=build_judge(
            policy,
            exemption_store=ledger,
            org_accounts=organization_accounts(policy),
            clock=clock or utcnow,
        ),
    )


def build_enforcer(
    settings: EnforcerSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Enforcer:
    """The enforcer wired to real gateways (each replaceable for tests and the sandbox)."""
    parts = governance_parts(
        settings, appstream=appstream, ledger=ledger, policy=policy, clock=clock
    )
    return Enforcer(
        EnforcerDeps(
            appstream=parts.appstream,
            ledger=parts.ledger,
            judge=parts.judge,
            governed_accounts=frozenset(settings.governed_account_ids),
            governed_regions=frozenset(settings.governed_regions),
            self_principals=settings.self_principal_arns,
            clock=clock or utcnow,
        )
    )
