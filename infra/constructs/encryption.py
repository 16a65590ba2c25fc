"""The single customer-managed KMS key behind every govbot data store and channel."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.alarms import allow_alarm_publishing


class Encryption(Construct):
    """One KMS key (rotation on) for the table, queues, topics, log groups and secrets."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            description="govbot: ledger, queues, alarm topic, log groups and Slack secrets",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs encrypts log groups with the key, scoped to this account's groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsForThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"
                        )
                    }
                },
            )
        )
        # EventBridge's use of the key for the work queues is granted by the SqsQueue rule
        # targets, without a source condition (one naming the rules would make the key
        # depend on them): these Denys keep it to this account's rules of this stack.
        events_principal = iam.ServicePrincipal("events.amazonaws.com")
        for sid, condition in (
            (
                "EventsOnlyFromThisAccount",
                {"StringNotEquals": {"aws:SourceAccount": stack.account}},
            ),
            (
                "EventsOnlyForThisStacksRules",
                {
                    "ArnNotLike": {
                        "aws:SourceArn": (
                            f"arn:{stack.partition}:events:{stack.region}:{stack.account}:"
                            f"rule/{stack.stack_name}-*"
                        )
                    }
                },
            ),
        ):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[events_principal],
                    actions=["kms:*"],
                    resources=["*"],
                    conditions=condition,
                )
            )
        # CloudWatch alarms publish to the encrypted topic; SNS redrives failed email
        # deliveries into an encrypted queue.
        allow_alarm_publishing(self.key)
