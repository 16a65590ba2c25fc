"""Golden image replication: trigger events and a periodic sweep drive the replicator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.alarms import Alarms
from infra.constructs.enforcement import add_kms_and_table_access, route_to_queue
from infra.constructs.function import FunctionFactory, FunctionSpec, GovbotFunction
from infra.constructs.queues import EncryptedQueue, consume_queue, schedule_function
from infra.permissions import grant_appstream, grant_policy_read, grant_star_only

REPLICATOR_TIMEOUT = cdk.Duration.seconds(120)
REPLICATOR_IMAGE_ACTIONS = (
    "appstream:CopyImage",
    "appstream:DescribeImages",
    "appstream:DescribeImagePermissions",
    "appstream:TagResource",
    "appstream:UpdateImagePermissions",
    "appstream:DeleteImage",
)


class Replication(Construct):
    """Replicator fed by golden-trigger rules (queue + DLQ) and a scheduled sweep."""

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
        sweep_minutes: int,
        remediation_role_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.queues = EncryptedQueue(self, "Triggers", key=key, consumer_timeout=REPLICATOR_TIMEOUT)
        self.rules = route_to_queue(
            self,
            "GoldenTrigger",
            patterns,
            self.queues.queue,
            self.queues.dlq,
            "govbot: golden image triggers to the replicator",
        )
        self.replicator: GovbotFunction = factory.build(
            self,
            "Replicator",
            FunctionSpec(
                handler="govbot.handlers.replicator.handler",
                description="govbot replicator: copies golden images and tracks copy jobs",
                environment=environment,
                timeout=REPLICATOR_TIMEOUT,
                memory_size=512,
                # The sweep schedule invokes asynchronously: failures land in the DLQ.
                dead_letter_queue=self.queues.dlq,
            ),
        )
        function = self.replicator.function
        consume_queue(function, self.queues.queue)
        # The sweep: the target receives EventBridge's "Scheduled Event" envelope as is.
        self.sweep_rule = schedule_function(
            self,
            "SweepSchedule",
            function,
            self.queues.dlq,
            minutes=sweep_minutes,
            description="govbot: periodic golden image sweep (copy progress, coverage)",
        )
        role = self.replicator.role
        grant_appstream(role, REPLICATOR_IMAGE_ACTIONS, "image", governed_regions)
        grant_appstream(role, ["appstream:DescribeFleets"], "fleet", governed_regions)
        grant_star_only(
            self,
            "ListTagsPolicy",
            role,
            ["appstream:ListTagsForResource"],
            "appstream:ListTagsForResource lists no resource type in the Service "
            "Authorization Reference for AppStream 2.0, so it can only be granted on '*'.",
        )
        if remediation_role_arns:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"], resources=list(remediation_role_arns)
                )
            )
        add_kms_and_table_access(role, table)
        grant_policy_read(role, policy_parameter)
        alarms.add_dlq_depth("ReplicatorDlqDepth", self.queues.dlq)
        alarms.add_function_health("Replicator", function)
