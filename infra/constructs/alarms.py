"""The alarm topic and the helpers that wire govbot's alarms to it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

ONE_MINUTE = cdk.Duration.minutes(1)
DEFAULT_ITERATOR_AGE = cdk.Duration.minutes(5)


def allow_alarm_publishing(key: kms.Key) -> None:
    """Let CloudWatch alarms publish to a topic encrypted with ``key`` (and SNS redrive
    failed e-mail deliveries into a queue encrypted with it), from this account only."""
    stack = cdk.Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowAlarmsAndSnsRedrive",
            principals=[
                iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                iam.ServicePrincipal("sns.amazonaws.com"),
            ],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )


def alarm_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A customer-managed key (rotation on) for a stack whose only encrypted channel is its
    alarm topic (the forwarder stacks; the hub's one key covers its topic)."""
    key = kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    allow_alarm_publishing(key)
    return key


class Alarms(Construct):
    """SNS alarm topic (KMS, SSL only) plus ``add_*`` helpers for standard alarms."""

    def __init__(
        self, scope: Construct, construct_id: str, *, key: kms.IKey, email: str = ""
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="govbot alarms",
            master_key=key,
            enforce_ssl=True,
        )
        self._action = cw_actions.SnsAction(self.topic)
        if email:
            undelivered = sqs.Queue(
                self,
                "UndeliveredEmail",
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                enforce_ssl=True,
                retention_period=cdk.Duration.days(14),
            )
            for rule_id in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
                acknowledge(
                    undelivered,
                    rule_id,
                    "This queue is the redrive (dead-letter) target of the alarm e-mail "
                    "subscription; a DLQ of a DLQ adds nothing, its depth alarm does.",
                )
            self.topic.add_subscription(
                subscriptions.EmailSubscription(email, dead_letter_queue=undelivered)
            )
            self.add_dlq_depth("UndeliveredEmailDepth", undelivered)

    def notify(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        """Send ``alarm``'s state changes to ALARM to the topic (every govbot alarm does)."""
        alarm.add_alarm_action(self._action)
        return alarm

    _wire = notify

    def add_dlq_depth(self, construct_id: str, dlq: sqs.IQueue) -> cloudwatch.Alarm:
        """Alarm as soon as one message sits in a dead-letter queue."""
        return self._wire(
            cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description="govbot: messages in a dead-letter queue need a look",
                metric=dlq.metric_approximate_number_of_messages_visible(
                    period=ONE_MINUTE, statistic="Maximum"
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

    def add_function_health(
        self, construct_id: str, function: lambda_.IFunction
    ) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        """Alarm on any error and on any throttle of ``function``."""
        errors = cloudwatch.Alarm(
            self,
            f"{construct_id}Errors",
            alarm_description="govbot: a function invocation failed",
            metric=function.metric_errors(period=ONE_MINUTE, statistic="Sum"),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        throttles = cloudwatch.Alarm(
            self,
            f"{construct_id}Throttles",
            alarm_description="govbot: a function invocation was throttled",
            metric=function.metric_throttles(period=ONE_MINUTE, statistic="Sum"),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        return self._wire(errors), self._wire(throttles)

    def add_iterator_age(
        self,
        construct_id: str,
        function: lambda_.IFunction,
        threshold: cdk.Duration = DEFAULT_ITERATOR_AGE,
    ) -> cloudwatch.Alarm:
        """Alarm when a stream consumer falls behind by more than ``threshold``."""
        return self._wire(
            cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description="govbot: the ledger stream consumer is falling behind",
                metric=function.metric("IteratorAge", period=ONE_MINUTE, statistic="Maximum"),
                threshold=threshold.to_milliseconds(),
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
