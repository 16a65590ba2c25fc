"""Enforcement: AppStream CloudTrail events -> EventBridge rules -> SQS -> enforcer.

A schedule invokes the drift sweeper, which re-checks every private image of the governed
accounts and regions to catch what events missed. It is the enforcer's code with a timeout
sized for a sweep (the enforcer keeps a short one for its queue), run with the enforcer's
role: the same actions on the same images, already trusted by the spoke remediation roles
and recognised as govbot's own in CloudTrail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.alarms import Alarms
from infra.constructs.function import FunctionFactory, FunctionSpec, GovbotFunction
from infra.constructs.queues import schedule_function
from infra.constructs.worker import WorkerSpec, queue_worker
from infra.exits_grants import grant_exits
from infra.permissions import (
    grant_appstream,
    grant_star_only,
)

ENFORCER_TIMEOUT = cdk.Duration.seconds(60)
# A sweep pass of a large estate needs minutes; one cut short resumes on the next run.
DRIFT_SWEEPER_TIMEOUT = cdk.Duration.minutes(15)
DRIFT_SWEEPER_HANDLER = "govbot.handlers.enforcer.sweep_handler"
DEFAULT_DRIFT_SWEEP_MINUTES = 60
ENFORCER_IMAGE_ACTIONS = (
    "appstream:DescribeImages",
    "appstream:DescribeImagePermissions",
    "appstream:UpdateImagePermissions",
    "appstream:DeleteImagePermissions",
)


class Enforcement(Construct):
    """Governed AppStream events reach the enforcer through an encrypted queue with a DLQ.

    A schedule also invokes it for the drift sweep; the trigger's "Scheduled Event" carries
    its id on retries, so a retried sweep neither acts nor notifies twice.
    """

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
        spec = WorkerSpec(
            name="Enforcer",
            queue_id="Events",
            rule_prefix="Governed",
            rule_description="govbot: governed AppStream image events to the enforcer",
            handler="govbot.handlers.enforcer.handler",
            description="govbot enforcer: re-reads image sharing and remediates violations",
            environment=environment,
            timeout=ENFORCER_TIMEOUT,
            memory_size=512,
            schedule_id=None,  # the drift sweep has its own function, scheduled below
            schedule_minutes=drift_sweep_minutes,
            schedule_description="",
        )
        worker = queue_worker(
            self,
            spec,
            factory=factory,
            alarms=alarms,
            key=key,
            table=table,
            policy_parameter=policy_parameter,
            patterns=patterns,
            remediation_role_arns=remediation_role_arns,
        )
        self.queues, self.rules = worker.queues, worker.rules
        self.enforcer: GovbotFunction = worker.function
        self.sweeper: GovbotFunction = factory.build(
            self,
            "DriftSweeper",
            FunctionSpec(
                handler=DRIFT_SWEEPER_HANDLER,
                description="govbot drift sweep: re-checks every private image, resumable",
                environment=environment,
                timeout=DRIFT_SWEEPER_TIMEOUT,
                memory_size=1024,
                dead_letter_queue=self.queues.dlq,
                role=self.enforcer.role,
            ),
        )
        # A retried schedule event carries its id; a redriven one lands on the events queue
        # and is run by the enforcer (resumable, so its shorter timeout is fine).
        self.drift_rule = schedule_function(
            self,
            "DriftSweepSchedule",
            self.sweeper.function,
            self.queues.dlq,
            minutes=drift_sweep_minutes,
            description="govbot: periodic drift sweep (re-checks every private image's sharing)",
        )
        alarms.add_function_health("DriftSweeper", self.sweeper.function)
        grant_appstream(self.enforcer.role, ENFORCER_IMAGE_ACTIONS, "image", governed_regions)
        # Messages name a governed consumer's fleets (stop sharing) and image builders
        # (builder exposure); both Describe calls accept their resource type.
        grant_appstream(self.enforcer.role, ["appstream:DescribeFleets"], "fleet", governed_regions)
        grant_appstream(
            self.enforcer.role,
            ["appstream:DescribeImageBuilders"],
            "image-builder",
            governed_regions,
        )
        # Exports to AMIs and builders' agent access (the drift sweep reads and remedies).
        grant_exits(self, self.enforcer.role, governed_regions)
        grant_star_only(
            self,
            "OrganizationsPolicy",
            self.enforcer.role,
            ["organizations:ListAccounts"],
            "organizations:ListAccounts has no resource type (it lists the whole "
            "organization), so '*' is the only Resource IAM accepts for it.",
        )
