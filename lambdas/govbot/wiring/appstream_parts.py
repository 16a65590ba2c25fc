"""What the enforcer and the replicator are both built from: ledger, AppStream, policy, judge.

Only their wiring modules import this one, so the notifier's and the actions endpoint's
assets do not carry the judge, the AppStream gateway or the organization lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govbot.wiring.core import clock as seam_clock
from govbot.wiring.core import parameter_store, session

if TYPE_CHECKING:
    from govbot.clock import Clock
    from govbot.config import GovernanceSettings
    from govbot.gateways.appstream import AppStreamGateway
    from govbot.gateways.retries import RetrySettings
    from govbot.ledger import Ledger
    from govbot.policy.judge import Judge
    from govbot.policy.models import Policy


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


def appstream_gateway(
    settings: GovernanceSettings, retry: RetrySettings | None = None
) -> AppStreamGateway:
    """AppStream on the process Session, assuming the remediation role in spoke accounts;
    ``retry`` sizes its quota-free client retries (default: the gateway's)."""
    from govbot.gateways.appstream import AppStreamGateway

    return AppStreamGateway(
        session(),
        role_arn_for=role_arn_resolver(settings.remediation_role_name, settings.hub_account_id),
        retry=retry,
    )


def organization_accounts(policy: Callable[[], Policy]) -> Callable[[], frozenset[str]]:
    """Member accounts of the AWS Organization, cached for the policy's ``cache_seconds``.

    The cache lives in the organizations gateway's module, so it survives warm invocations
    and is shared by every instance made here.
    """
    from govbot.gateways.organizations import OrganizationAccounts
    from govbot.policy.source import PolicySource

    # The caller has just read the policy to evaluate with it: reuse that read.
    current = policy.latest if isinstance(policy, PolicySource) else policy

    def members() -> frozenset[str]:
        seconds = current().organization.cache_seconds
        return OrganizationAccounts(
            client_factory=lambda: session().client("organizations"), cache_seconds=seconds
        ).member_account_ids()

    return members


@dataclass(frozen=True)
class GovernanceParts:
    """The gateways and policy views the enforcer and the replicator are both built from."""

    ledger: Ledger
    appstream: AppStreamGateway
    policy: Callable[[], Policy]
    judge: Judge
    clock: Clock


def governance_parts(
    settings: GovernanceSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Clock | None = None,
) -> GovernanceParts:
    """Real gateways from ``settings`` on the process Session; each one replaceable."""
    from govbot.governance import build_judge
    from govbot.ledger import Ledger
    from govbot.policy.source import PolicySource

    clock = clock or seam_clock()
    ledger = ledger or Ledger(
        settings.ledger_table_name,
        session=session(),
        retention_days=settings.ledger_retention_days,
        clock=clock,
    )
    appstream = appstream or appstream_gateway(settings)
    policy = policy or PolicySource(
        parameter_store(), settings.policy_parameter_name, max_age=settings.policy_cache_seconds
    )
    return GovernanceParts(
        ledger=ledger,
        appstream=appstream,
        policy=policy,
        judge=build_judge(
            policy,
            exemption_store=ledger,
            org_accounts=organization_accounts(policy),
            clock=clock,
            exemptions_max_age=settings.exemptions_cache_seconds,
        ),
        clock=clock,
    )
