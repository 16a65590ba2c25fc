"""Enforcement: AppStream CloudTrail events -> EventBridge rules -> SQS -> enforcer.

A schedule also invokes the enforcer directly for the drift sweep, which re-checks every
private image of the governed accounts and regions to catch what events missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.alarms import Alarms
from infra.constructs.function import FunctionFactory, FunctionSpec, GovbotFunction
from infra.constructs.queues import EncryptedQueue, consume_queue, schedule_function
from infra.nag import acknowledge
from infra.permissions import (
    acknowledge_kms_grant,
    grant_appstream,
    grant_policy_read,
    grant_star_only,
)

ENFORCER_TIMEOUT = cdk.Duration.seconds(60)
DEFAULT_DRIFT_SWEEP_MINUTES = 60
ENFORCER_IMAGE_ACTIONS = (
    "appstream:DescribeImages",
    "appstream:DescribeImagePermissions",
    "appstream:UpdateImagePermissions",
    "appstream:DeleteImagePermissions",
)


def event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    """Translate a raw EventBridge pattern (govbot.routing) into a CDK ``EventPattern``."""
    return events.EventPattern(
        source=list(pattern["source"]),
        detail_type=list(pattern["detail-type"]),
        detail=dict(pattern["detail"]),
    )


def route_to_queue(
    scope: Construct,
    prefix: str,
    patterns: Sequence[Mapping[str, Any]],
    queue: sqs.IQueue,
    dlq: sqs.IQueue,
    description: str,
) -> list[events.Rule]:
    """One rule per pattern on the default bus, each targeting ``queue`` (DLQ on failure)."""
    rules = []
    for index, pattern in enumerate(patterns):
        rules.append(
            events.Rule(
                scope,
                f"{prefix}Rule{index}",
                description=f"{description} ({pattern['detail-type'][0]})",
                event_pattern=event_pattern(pattern),
                targets=[
                    targets.SqsQueue(
                        queue,
                        dead_letter_queue=dlq,
                        retry_attempts=8,
                        max_event_age=cdk.Duration.hours(24),
                    )
                ],
            )
        )
    return rules


def add_kms_and_table_access(role: iam.Role, table: dynamodb.ITable) -> None:
    """Ledger read/write (table and its indexes only), with the nag notes it implies."""
    table.grant_read_write_data(role)
    acknowledge_kms_grant(role)
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::<{_logical_id(table)}.Arn>/index/*]",
        "The ledger's four GSIs (by-image, by-account, by-time, by-status) are all queried; "
        "the wildcard is limited to indexes of this one table.",
    )


def _logical_id(table: dynamodb.ITable) -> str:
    # cdk-nag prints GetAtt references as <LogicalId.Arn>.
    resource = table.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    return str(cdk.Stack.of(table).resolve(resource.logical_id))


class Enforcement(Construct):
    """Governed AppStream events reach the enforcer through an encrypted queue with a DLQ."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        factory: FunctionFactory,
        alarms: Alarms,
        key: kms.IKey,
        table: dynamodb.ITable,
        policy_parameter: ssm.IStringParameter,
        environment: Mapping[str, str],
        patterns: Sequence[Mapping[str, Any]],
        governed_regions: Sequence[str],
        remediation_role_arns: Sequence[str] = (),
        drift_sweep_minutes: int = DEFAULT_DRIFT_SWEEP_MINUTES,
    ) -> None:
        super().__init__(scope, construct_id)
        if not 5 <= drift_sweep_minutes <= 1440:
            raise ValueError(
                f"Enforcement: drift_sweep_minutes must be in [5, 1440], got {drift_sweep_minutes}"
            )
        self.queues = EncryptedQueue(self, "Events", key=key, consumer_timeout=ENFORCER_TIMEOUT)
        self.rules = route_to_queue(
            self,
            "Governed",
            patterns,
            self.queues.queue,
            self.queues.dlq,
            "govbot: governed AppStream image events to the enforcer",
        )
        self.enforcer: GovbotFunction = factory.build(
            self,
            "Enforcer",
            FunctionSpec(
                handler="govbot.handlers.enforcer.handler",
                description="govbot enforcer: re-reads image sharing and remediates violations",
                environment=environment,
                timeout=ENFORCER_TIMEOUT,
                memory_size=512,
                # The drift sweep schedule invokes asynchronously: failures land in the DLQ
                # (a redriven sweep is routed back to the sweep, idempotent by its id).
                dead_letter_queue=self.queues.dlq,
            ),
        )
        function = self.enforcer.function
        consume_queue(function, self.queues.queue)
        # The drift sweep: the target receives EventBridge's "Scheduled Event" envelope as
        # is; a retry carries the same event id, so it neither acts nor notifies twice.
        self.drift_rule = schedule_function(
            self,
            "DriftSweepSchedule",
            function,
            self.queues.dlq,
            minutes=drift_sweep_minutes,
            description="govbot: periodic drift sweep (re-checks every private image's sharing)",
        )
        role = self.enforcer.role
        grant_appstream(role, ENFORCER_IMAGE_ACTIONS, "image", governed_regions)
        grant_star_only(
            self,
            "ListTagsPolicy",
            role,
            ["appstream:ListTagsForResource"],
            "appstream:ListTagsForResource lists no resource type in the Service "
            "Authorization Reference for AppStream 2.0, so it can only be granted on '*'.",
        )
        grant_star_only(
            self,
            "OrganizationsPolicy",
            role,
            ["organizations:ListAccounts"],
            "organizations:ListAccounts has no resource type (it lists the whole "
            "organization), so '*' is the only Resource IAM accepts for it.",
        )
        if remediation_role_arns:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"], resources=list(remediation_role_arns)
                )
            )
        add_kms_and_table_access(role, table)
        grant_policy_read(role, policy_parameter)
        alarms.add_dlq_depth("EnforcerDlqDepth", self.queues.dlq)
        alarms.add_function_health("Enforcer", function)
