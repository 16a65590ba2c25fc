"""StackSet templates: one spoke role and one spoke forwarder template for every account.

A service-managed StackSet on an organizational unit deploys the same template into every
account of the OU (and, for the forwarder, every governed region). So these templates name
no spoke account or region: their own ARNs use ``AWS::AccountId``, ``AWS::Region`` and
``AWS::Partition``; only the hub (the fixed destination) appears literally. They are built
with the bootstrap-less synthesizer: no ``BootstrapVersion`` parameter, no
``CheckBootstrapVersion`` rule, no asset, so they deploy where CDK was never bootstrapped.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.config import HubSettings
from infra.constructs.forwarding import partition_for
from infra.constructs.remediation_role import hub_function_role_arns
from infra.nag import add_nag_checks
from infra.spoke_stack import (
    STACKSET_DIR,
    STACKSET_FORWARDER_TEMPLATE,
    STACKSET_ROLE_TEMPLATE,
    GovbotForwarderStack,
    GovbotSpokeRoleStack,
    spoke_principal_prefix,
)


def stackset_ready(settings: HubSettings) -> bool:
    """StackSet templates need the hub's account and region and a remediation role name."""
    return bool(settings.account and settings.region and settings.remediation_role_name)


def stackset_templates(
    settings: HubSettings, hub_stack_name: str, context: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """File name -> template of the spoke role and spoke forwarder StackSet templates.

    Synthesized in an app of their own (cdk-nag packs on) so that ``cdk deploy --all``
    never tries to deploy these environment-agnostic stacks to the CLI's default account;
    ``context`` is the main app's (the same feature flags render the same resources).
    """
    if not stackset_ready(settings):
        raise ValueError(
            "StackSet templates need context 'account', 'region' and 'remediation_role_name'"
        )
    with tempfile.TemporaryDirectory(prefix="govbot-stacksets-") as outdir:
        app = cdk.App(outdir=outdir, context=dict(context or {}))
        role = GovbotSpokeRoleStack(
            app,
            "GovbotSpokeRole",
            role_name=settings.remediation_role_name,
            hub_account=settings.account,
            hub_role_arns=hub_function_role_arns(
                partition_for(settings.region), settings.account, hub_stack_name
            ),
            governed_regions=settings.governed_regions,
            organization_id=settings.organization_id,
            synthesizer=cdk.BootstraplessSynthesizer(),
            description="govbot spoke (StackSet, one region): remediation role for the hub",
        )
        forwarder = GovbotForwarderStack(
            app,
            "GovbotSpokeForwarder",
            hub_account=settings.account,
            hub_region=settings.region,
            alarm_email=settings.alarm_email,
            own_principal_prefix=spoke_principal_prefix(settings.remediation_role_name),
            synthesizer=cdk.BootstraplessSynthesizer(),
            description="govbot spoke (StackSet, every governed region): events to the hub",
        )
        add_nag_checks(app)
        assembly = app.synth()
        return {
            STACKSET_ROLE_TEMPLATE: assembly.get_stack_by_name(role.stack_name).template,
            STACKSET_FORWARDER_TEMPLATE: assembly.get_stack_by_name(forwarder.stack_name).template,
        }


def write_stackset_templates(templates: dict[str, dict[str, Any]], outdir: str | Path) -> Path:
    """Write the templates under ``<outdir>/stacksets/``; returns that directory."""
    directory = Path(outdir) / STACKSET_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for name, template in templates.items():
        (directory / name).write_text(json.dumps(template, indent=1) + "\n", encoding="utf-8")
    return directory
