"""Spoke stacks: event forwarders per (account, region) and the spoke remediation role.

Hub and spokes (DESIGN.md section 2): the hub stack lives in one region of one account;
``GovbotForwarderStack`` brings AppStream events of every other governed (account, region)
to the hub's default bus, and ``GovbotSpokeRoleStack`` gives each spoke account the role
the hub functions assume to act there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra.constructs.alarms import Alarms, alarm_key
from infra.constructs.forwarding import (
    HubForwarding,
    forwarded_patterns,
    hub_bus_arn,
    partition_for,
)
from infra.constructs.remediation_role import RemediationRole, hub_function_role_arns

# File names of the StackSet templates ``python app.py`` writes under <outdir>/stacksets/.
STACKSET_DIR = "stacksets"
STACKSET_ROLE_TEMPLATE = "govbot-spoke-role.template.json"
STACKSET_FORWARDER_TEMPLATE = "govbot-spoke-forwarder.template.json"


@dataclass(frozen=True)
class ForwarderSpec:
    """One forwarder stack: the (account, region) whose AppStream events go to the hub."""

    account: str
    region: str

    @property
    def stack_name(self) -> str:
        """CloudFormation stack name, unique per (account, region)."""
        return f"GovbotForwarder-{self.account}-{self.region}"


def plan_forwarders(
    hub_account: str, hub_region: str, governed_regions: Sequence[str], spokes: Sequence[str]
) -> list[ForwarderSpec]:
    """Every governed (account, region) except the hub's own, hub account first.

    Examples
    --------
    >>> [s.stack_name for s in plan_forwarders("111111111111", "us-east-1",
    ...     ["us-east-1", "eu-west-1"], ["222222222222"])]  # doctest: +NORMALIZE_WHITESPACE
    ['GovbotForwarder-111111111111-eu-west-1', 'GovbotForwarder-222222222222-us-east-1',
     'GovbotForwarder-222222222222-eu-west-1']
    """
    plan = [ForwarderSpec(hub_account, r) for r in governed_regions if r != hub_region]
    plan += [ForwarderSpec(a, r) for a in spokes if a != hub_account for r in governed_regions]
    return plan


def hub_role_arns(hub: cdk.Stack) -> list[str]:
    """Exact ARNs of the hub's enforcer and replicator roles (fixed names)."""
    return hub_function_role_arns(partition_for(hub.region), hub.account, hub.stack_name)


def forwarder_principal_prefix(
    spec: ForwarderSpec, *, hub_account: str, hub_stack_name: str, remediation_role_name: str
) -> str:
    """Whose calls in ``spec``'s account are govbot's: there the hub's roles act in the hub
    account, and the remediation role in a spoke (``spoke_principal_prefix``).

    >>> forwarder_principal_prefix(ForwarderSpec("111111111111", "eu-west-1"),
    ...     hub_account="111111111111", hub_stack_name="GovbotHub",
    ...     remediation_role_name="govbot-remediation")
    'arn:aws:sts::111111111111:assumed-role/GovbotHub-'
    """
    if spec.account == hub_account:
        partition = partition_for(spec.region)
        return f"arn:{partition}:sts::{hub_account}:assumed-role/{hub_stack_name}-"
    return spoke_principal_prefix(remediation_role_name)


def spoke_principal_prefix(remediation_role_name: str) -> str:
    """The remediation role's sessions in whatever account the template is deployed to
    (``AWS::Partition`` and ``AWS::AccountId``: one template for every spoke)."""
    return (
        f"arn:{cdk.Aws.PARTITION}:sts::{cdk.Aws.ACCOUNT_ID}:assumed-role/{remediation_role_name}/"
    )


class GovbotForwarderStack(cdk.Stack):
    """Forwards this (account, region)'s governed AppStream events to the hub bus.

    Its DLQ alarm goes to an alarm topic of its own, as the hub's alarms go to the hub's:
    SNS encrypted with a customer-managed key, TLS only, with the same optional e-mail
    subscription (``alarm_email``). Alarms and topics are regional, hence one per stack.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        hub_account: str,
        hub_region: str,
        alarm_email: str = "",
        own_principal_prefix: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.hub_bus_arn = hub_bus_arn(hub_account, hub_region)
        key = alarm_key(self, "AlarmKey", "govbot forwarder: its alarm topic")
        self.alarms = Alarms(self, "Alarms", key=key, email=alarm_email)
        self.forwarding = HubForwarding(
            self,
            "Forwarding",
            hub_bus_arn=self.hub_bus_arn,
            patterns=forwarded_patterns(own_principal_prefix),
            alarms=self.alarms,
        )
        cdk.CfnOutput(self, "ForwardingDlqUrl", value=self.forwarding.dlq.queue_url)
        cdk.CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.alarms.topic.topic_arn,
            description="SNS topic of this forwarder's alarms: subscribe your on-call to it",
        )


class GovbotSpokeRoleStack(cdk.Stack):
    """The remediation role of one spoke account (IAM is global: deploy it once)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        hub_account: str,
        hub_role_arns: Sequence[str],
        governed_regions: Sequence[str],
        organization_id: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.remediation = RemediationRole(
            self,
            "Remediation",
            role_name=role_name,
            hub_account=hub_account,
            hub_role_arns=hub_role_arns,
            regions=governed_regions,
            organization_id=organization_id,
        )
        cdk.CfnOutput(self, "RemediationRoleArn", value=self.remediation.role.role_arn)
