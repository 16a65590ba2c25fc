"""Golden image replication: trigger events and a periodic sweep drive the replicator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.alarms import Alarms
from infra.constructs.function import FunctionFactory, GovbotFunction
from infra.constructs.worker import WorkerSpec, queue_worker

REPLICATOR_TIMEOUT = cdk.Duration.seconds(120)


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
        role_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        spec = WorkerSpec(
            name="Replicator",
            queue_id="Triggers",
            rule_prefix="GoldenTrigger",
            rule_description="govbot: golden image triggers to the replicator",
            handler="govbot.handlers.replicator.handler",
            description="govbot replicator: copies golden images and tracks copy jobs",
            environment=environment,
            timeout=REPLICATOR_TIMEOUT,
            memory_size=512,
            schedule_id="SweepSchedule",
            schedule_minutes=sweep_minutes,
            schedule_description="govbot: periodic golden image sweep (copy progress, coverage)",
            role_name=role_name,
            iam_function="replicator",
            regions=tuple(governed_regions),
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
        self.queues, self.rules, self.sweep_rule = worker.queues, worker.rules, worker.schedule
        self.replicator: GovbotFunction = worker.function
