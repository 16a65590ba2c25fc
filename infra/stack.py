"""GovbotHubStack: composes one construct per capability; no resource logic lives here."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from govbot import routing
from infra.config import HubSettings
from infra.constructs.alarms import Alarms
from infra.constructs.dashboard import GovbotDashboard
from infra.constructs.encryption import Encryption
from infra.constructs.enforcement import Enforcement
from infra.constructs.function import FunctionFactory
from infra.constructs.hub_bus_policy import SpokeEventsPolicy
from infra.constructs.ledger import Ledger
from infra.constructs.notifications import Notifications
from infra.constructs.policy_parameter import PolicyParameter
from infra.constructs.remediation_role import hub_function_role_name
from infra.constructs.replication import Replication
from infra.constructs.work_signing import WorkSigning


def own_principal_prefix(partition: str, account: str, stack_name: str) -> str:
    """Assumed-role ARN prefix of the hub stack's roles: CloudFormation names each role
    ``<stack>-<logical id>-<suffix>``. Of those, only the enforcer's (the drift sweeper's
    too) and the replicator's may call AppStream, so the prefix matches govbot's own calls.

    >>> own_principal_prefix("aws", "111122223333", "GovbotHub")
    'arn:aws:sts::111122223333:assumed-role/GovbotHub-'
    """
    return f"arn:{partition}:sts::{account}:assumed-role/{stack_name}-"


class GovbotHubStack(cdk.Stack):
    """The hub: ledger, policy, enforcement, replication, notifications and alarms."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: HubSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = Encryption(self, "Encryption").key
        ledger = Ledger(self, "Ledger", key=key)
        policy = PolicyParameter(
            self,
            "Policy",
            policy_file=settings.policy_file,
            parameter_name=settings.policy_parameter_name,
            governed_regions=settings.governed_regions,
            governed_accounts=settings.governed_account_ids
            or tuple(a for a in (settings.account,) if a),
        )
        alarms = Alarms(self, "Alarms", key=key, email=settings.alarm_email)
        factory = FunctionFactory(self, "Functions", settings=settings, key=key)
        base_env = self.base_environment(settings, ledger.table.table_name, policy)
        # govbot's own AppStream calls (its remedies, the replicator's copies and shares)
        # are kept off its queues by the rules themselves (routing.excluding_principal).
        self.own_principal_prefix = own_principal_prefix(
            self.partition, self.account, self.stack_name
        )

        enforcement = Enforcement(
            self,
            "Enforcement",
            factory=factory,
            alarms=alarms,
            key=key,
            table=ledger.table,
            policy_parameter=policy.parameter,
            environment=base_env,
            patterns=routing.enforcer_patterns(self.own_principal_prefix),
            governed_regions=settings.governed_regions,
            remediation_role_arns=self.remediation_role_arns(settings),
            drift_sweep_minutes=settings.drift_sweep_minutes,
            role_name=hub_function_role_name(self.stack_name, "enforcer"),
            snapstart=settings.enforcer_snapstart,
        )
        replication = Replication(
            self,
            "Replication",
            factory=factory,
            alarms=alarms,
            key=key,
            table=ledger.table,
            policy_parameter=policy.parameter,
            environment=base_env,
            patterns=routing.replicator_patterns(self.own_principal_prefix),
            governed_regions=settings.governed_regions,
            sweep_minutes=settings.replication_sweep_minutes,
            remediation_role_arns=self.remediation_role_arns(settings),
            role_name=hub_function_role_name(self.stack_name, "replicator"),
        )
        # Both roles act on images; the enforcer must recognise their CloudTrail events
        # (the second guard behind the rules' exclusion).
        principals = [
            self._assumed_role_prefix(enforcement.enforcer.role.role_name),
            self._assumed_role_prefix(replication.replicator.role.role_name),
        ]
        if settings.remediation_role_name:
            # In spoke accounts they act through the remediation role; its events come back
            # through the forwarders and must be recognised too.
            principals.append(
                f"arn:{self.partition}:sts::*:assumed-role/{settings.remediation_role_name}/*"
            )
        self_principals = cdk.Fn.join(",", principals)
        for function in (enforcement.enforcer.function, replication.replicator.function):
            function.add_environment("SELF_PRINCIPAL_ARNS", self_principals)

        notifications = Notifications(
            self,
            "Notifications",
            factory=factory,
            alarms=alarms,
            key=key,
            table=ledger.table,
            policy_parameter=policy.parameter,
            environment=base_env,
            work_queue=enforcement.queues.queue,
        )
        # Button work reaches the enforcer signed, and only from the actions function.
        self.work_signing = WorkSigning(
            self,
            "WorkSigning",
            key=key,
            queue=enforcement.queues.queue,
            signer=notifications.actions,
            verifier=enforcement.enforcer,
        )
        SpokeEventsPolicy(self, "SpokeEvents", spoke_accounts=settings.spoke_accounts)
        self.ledger_table = ledger.table
        self.dashboard = GovbotDashboard(
            self,
            "Dashboard",
            enforcement=enforcement,
            replication=replication,
            notifications=notifications,
        )
        self._output(
            "ActionsUrl",
            notifications.actions_url.url,
            "Slack app's Interactivity Request URL (the actions function's URL)",
        )
        self._output(
            "SlackWebhooksSecretName",
            notifications.webhooks_secret.secret_name,
            'Slack incoming webhooks, JSON {"route": "https://hooks.slack.com/..."}',
        )
        self._output(
            "SlackSigningSecretName",
            notifications.signing_secret.secret_name,
            "the Slack app's signing secret (Basic Information > App Credentials)",
        )
        self._output(
            "LedgerTableName", ledger.table.table_name, "ledger table: govbot ledger --table ..."
        )
        self._output("AlarmTopicArn", alarms.topic.topic_arn, "SNS topic of govbot's alarms")
        self._output(
            "PolicyParameterName",
            policy.parameter.parameter_name,
            "SSM parameter holding the policy as canonical JSON (docs/deploying.md)",
        )
        self._output(
            "DashboardName", self.dashboard.dashboard.dashboard_name, "CloudWatch dashboard"
        )

    def _output(self, name: str, value: str, description: str) -> None:
        """An output whose logical id is ``name`` exactly (the README and scripts use it)."""
        output = cdk.CfnOutput(self, name, value=value, description=description)
        output.override_logical_id(name)

    def _assumed_role_prefix(self, role_name: str) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{role_name}/"

    def base_environment(
        self, settings: HubSettings, table_name: str, policy: PolicyParameter
    ) -> dict[str, str]:
        """Environment every handler receives (docs/architecture.md)."""
        accounts = settings.governed_account_ids or (self.account,)
        return {
            "LEDGER_TABLE_NAME": table_name,
            "POLICY_PARAMETER_NAME": policy.parameter.parameter_name,
            "GOVERNED_ACCOUNT_IDS": ",".join(accounts),
            "GOVERNED_REGIONS": ",".join(settings.governed_regions),
            "LEDGER_RETENTION_DAYS": str(settings.ledger_retention_days),
            "REMEDIATION_ROLE_NAME": settings.remediation_role_name,
            # Acting in its own account, govbot uses the function's role, not a spoke role.
            "HUB_ACCOUNT_ID": self.account,
        }

    def remediation_role_arns(self, settings: HubSettings) -> list[str]:
        """Spoke remediation roles the enforcer may assume (none without a role name)."""
        if not settings.remediation_role_name:
            return []
        spokes = [a for a in settings.governed_account_ids if a != self.account]
        return [
            f"arn:{self.partition}:iam::{account}:role/{settings.remediation_role_name}"
            for account in spokes
        ]
