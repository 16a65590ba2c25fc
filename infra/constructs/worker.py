"""A queue-fed worker: rules -> encrypted queue (+DLQ) -> function, plus its schedule.

The enforcer and the replicator are both built this way; what differs (their AppStream
actions) is added by their own constructs. Resources are created in the caller's scope
with the same ids, so logical ids do not depend on this helper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from infra.grants import grant_declared
from infra.nag import acknowledge
from infra.permissions import acknowledge_kms_grant


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
    admit_only_rules(queue, rules)
    return rules


def admit_only_rules(queue: sqs.IQueue, rules: Sequence[events.Rule]) -> None:
    """EventBridge may send to ``queue`` only for ``rules`` (confused-deputy guard).

    The SqsQueue target grants events.amazonaws.com without a source condition when the
    queue is KMS-encrypted (a condition there would make the key depend on the rules); a
    Deny keyed on ``aws:SourceArn`` scopes that grant to these rules.
    """
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid="OnlyGovbotRulesMaySend",
            effect=iam.Effect.DENY,
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnNotEquals": {"aws:SourceArn": [rule.rule_arn for rule in rules]}},
        )
    )


def ledger_arns(table: dynamodb.ITable) -> dict[str, list[str]]:
    """The ledger's resource kinds (govbot.iam) as ARNs: the table with its indexes, and
    its stream."""
    arns = {"ledger": [table.table_arn, f"{table.table_arn}/index/*"]}
    if table.table_stream_arn:
        arns["ledger-stream"] = [table.table_stream_arn]
    return arns


def add_kms_and_table_access(role: iam.Role, table: dynamodb.ITable) -> None:
    """The ledger key (DynamoDB, SQS and Secrets Manager use it on the caller's behalf),
    with the nag notes the ledger grants imply; the table actions themselves are granted
    from the declarations (infra/grants.py)."""
    if table.encryption_key is not None:
        table.encryption_key.grant_encrypt_decrypt(role)
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


@dataclass(frozen=True)
class WorkerSpec:
    """What makes one worker: names, its function and its schedule."""

    name: str  # function id and alarm prefix, e.g. "Enforcer"
    queue_id: str
    rule_prefix: str
    rule_description: str
    handler: str
    description: str
    environment: Mapping[str, str]
    timeout: cdk.Duration
    memory_size: int
    schedule_id: str | None  # None: no schedule (the enforcer's sweep has a function of its own)
    schedule_minutes: int
    schedule_description: str
    role_name: str | None = None  # fixed name of the function's role (trusted by spokes)
    iam_function: str = ""  # its key in govbot.iam.FUNCTION_CALLS (what it is granted)
    regions: tuple[str, ...] = ()  # governed regions (its AppStream grants)
    snapstart: bool = False  # SnapStart, the queue invoking the alias (README "SnapStart")


@dataclass(frozen=True)
class Worker:
    """The resources a worker is made of."""

    queues: EncryptedQueue
    rules: list[events.Rule]
    function: GovbotFunction
    schedule: events.Rule | None


def queue_worker(
    scope: Construct,
    spec: WorkerSpec,
    *,
    factory: FunctionFactory,
    alarms: Alarms,
    key: kms.IKey,
    table: dynamodb.ITable,
    policy_parameter: ssm.IStringParameter,
    patterns: Sequence[Mapping[str, Any]],
    remediation_role_arns: Sequence[str] = (),
) -> Worker:
    """Build the worker, its triggers and the grants every worker needs."""
    queues = EncryptedQueue(scope, spec.queue_id, key=key, consumer_timeout=spec.timeout)
    rules = route_to_queue(
        scope, spec.rule_prefix, patterns, queues.queue, queues.dlq, spec.rule_description
    )
    # The schedule invokes asynchronously: failures land in the same DLQ (a redriven
    # scheduled event is recognised by the handler and run again, idempotent by its id).
    function = factory.build(
        scope,
        spec.name,
        FunctionSpec(
            handler=spec.handler,
            description=spec.description,
            environment=spec.environment,
            timeout=spec.timeout,
            memory_size=spec.memory_size,
            dead_letter_queue=queues.dlq,
            role_name=spec.role_name,
            snapstart=spec.snapstart,
        ),
    )
    consume_queue(function.invocable, queues.queue)
    schedule = None
    if spec.schedule_id is not None:
        schedule = schedule_function(
            scope,
            spec.schedule_id,
            function.function,
            queues.dlq,
            minutes=spec.schedule_minutes,
            description=spec.schedule_description,
        )
    role = function.role
    grant_declared(
        scope,
        role,
        spec.iam_function,
        regions=spec.regions,
        arns={
            **ledger_arns(table),
            "policy-parameter": [policy_parameter.parameter_arn],
            # No spoke accounts: no role to assume, nothing granted.
            "remediation-role": list(remediation_role_arns),
            # The enforcer's one secret, the work-signing key, is granted by WorkSigning.
            "slack-secret": [],
        },
    )
    add_kms_and_table_access(role, table)
    alarms.add_dlq_depth(f"{spec.name}DlqDepth", queues.dlq)
    alarms.add_function_health(spec.name, function.function)
    return Worker(queues=queues, rules=rules, function=function, schedule=schedule)
