"""Build the govbot CDK app; shared by ``app.py`` and the infra tests."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.config import HubSettings, settings_from_context
from infra.nag import add_nag_checks
from infra.preflight import checked_context
from infra.spoke_stack import (
    GovbotForwarderStack,
    GovbotSpokeRoleStack,
    forwarder_principal_prefix,
    hub_role_arns,
    plan_forwarders,
)
from infra.stack import GovbotHubStack
from infra.stacksets import stackset_ready, stackset_templates, write_stackset_templates

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "GovbotHub"


SPOKES_NEED_ENV = (
    "govbot: forwarder and spoke stacks are synthesized only with a concrete hub "
    "environment; pass -c account=<hub account id> -c region=<hub region>"
)


@dataclass(frozen=True)
class Deployment:
    """Every stack of one synth: the hub, its forwarders and the spoke remediation roles."""

    app: cdk.App
    hub: GovbotHubStack
    forwarders: tuple[GovbotForwarderStack, ...] = ()
    spoke_roles: tuple[GovbotSpokeRoleStack, ...] = ()
    notes: tuple[str, ...] = ()
    # File name -> template of the StackSet spoke templates (infra/stacksets.py).
    stacksets: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_app(
    outdir: str | None = None, context: dict[str, Any] | None = None, *, nag: bool = True
) -> tuple[cdk.App, GovbotHubStack]:
    """Create the app with all stacks (cdk-nag packs unless ``nag`` is False); notes to stderr.

    Returns the app and the hub stack; :func:`build_deployment` gives every stack.
    """
    deployment = build_deployment(outdir, context, nag=nag)
    for note in deployment.notes:
        print(note, file=sys.stderr)
    if deployment.stacksets:
        written = write_stackset_templates(deployment.stacksets, deployment.app.outdir)
        print(f"govbot: StackSet templates for the spoke OUs written to {written}", file=sys.stderr)
    return deployment.app, deployment.hub


def build_deployment(
    outdir: str | None = None, context: dict[str, Any] | None = None, *, nag: bool = True
) -> Deployment:
    """Hub stack, plus forwarders and spoke role stacks when the hub account and region are
    set (a forwarder must name the hub bus ARN as a literal: no cross-region tokens)."""
    merged = checked_context(context)
    app = cdk.App(outdir=outdir, context=merged)
    settings: HubSettings = settings_from_context(app.node.try_get_context, REPO_ROOT)
    env = None
    if settings.account or settings.region:
        env = cdk.Environment(account=settings.account or None, region=settings.region or None)
    stack = GovbotHubStack(
        app,
        STACK_NAME,
        settings=settings,
        env=env,
        description="govbot hub: AppStream image governance (enforcement, replication, Slack)",
    )
    forwarders: tuple[GovbotForwarderStack, ...] = ()
    spoke_roles: tuple[GovbotSpokeRoleStack, ...] = ()
    notes: tuple[str, ...] = ()
    # With one governed region and no hub region given, the hub is assumed to sit there.
    needs_spokes = bool(settings.spoke_accounts) or len(set(settings.governed_regions)) > 1
    needs_spokes |= bool(settings.region) and settings.governed_regions != (settings.region,)
    if settings.account and settings.region:
        forwarders, spoke_roles = _spoke_stacks(app, settings, stack)
    elif needs_spokes:
        notes = (SPOKES_NEED_ENV,)
    stacksets = (
        stackset_templates(settings, stack.stack_name, merged) if stackset_ready(settings) else {}
    )
    if nag:
        add_nag_checks(app)
    return Deployment(app, stack, forwarders, spoke_roles, notes, stacksets)


def _spoke_stacks(
    app: cdk.App, settings: HubSettings, hub: GovbotHubStack
) -> tuple[tuple[GovbotForwarderStack, ...], tuple[GovbotSpokeRoleStack, ...]]:
    plan = plan_forwarders(
        settings.account, settings.region, settings.governed_regions, settings.spoke_accounts
    )
    trusted = hub_role_arns(hub)
    # IAM is global; the role stack is pinned to the hub region only to have a home.
    spoke_roles = tuple(
        GovbotSpokeRoleStack(
            app,
            f"GovbotSpokeRole-{account}",
            role_name=settings.remediation_role_name,
            hub_account=settings.account,
            hub_role_arns=trusted,
            governed_regions=settings.governed_regions,
            organization_id=settings.organization_id,
            env=cdk.Environment(account=account, region=settings.region),
            description="govbot spoke: remediation role assumed by the hub's functions",
        )
        for account in settings.spoke_accounts
    )
    # Created after the role stacks: `cdk ls` lists stacks in creation order.
    forwarders = tuple(
        GovbotForwarderStack(
            app,
            spec.stack_name,
            hub_account=settings.account,
            hub_region=settings.region,
            alarm_email=settings.alarm_email,
            own_principal_prefix=forwarder_principal_prefix(
                spec,
                hub_account=settings.account,
                hub_stack_name=hub.stack_name,
                remediation_role_name=settings.remediation_role_name,
            ),
            env=cdk.Environment(account=spec.account, region=spec.region),
            description=(
                f"govbot forwarder: AppStream events of {spec.account}/{spec.region} to the hub"
            ),
        )
        for spec in plan
    )
    # Deploy order for `cdk deploy --all`: the hub, then the roles it assumes in the
    # spokes, then the forwarders that send the spokes' events to it.
    for role_stack in spoke_roles:
        role_stack.add_stack_dependency(hub)
    for forwarder in forwarders:
        for dependency in spoke_roles or (hub,):
            forwarder.add_stack_dependency(dependency)
    return forwarders, spoke_roles
