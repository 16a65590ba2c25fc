"""An encrypted, SSL-only SQS queue with its encrypted dead-letter queue."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from govbot.routing import MAX_RECEIVE_COUNT
from infra.nag import acknowledge

RETENTION = cdk.Duration.days(14)


class EncryptedQueue(Construct):
    """``queue`` (visibility 6x the consumer timeout) redriving to ``dlq`` (MAX_RECEIVE_COUNT)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        consumer_timeout: cdk.Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=RETENTION,
        )
        acknowledge(
            self.dlq,
            "Serverless-SQSRedrivePolicy",
            "This queue is the dead-letter queue of its sibling queue (and of the "
            "EventBridge targets); a DLQ of a DLQ adds nothing, its depth alarm does.",
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            # AWS guidance for Lambda consumers: at least six times the function timeout.
            visibility_timeout=cdk.Duration.seconds(consumer_timeout.to_seconds() * 6),
            retention_period=RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )


def consume_queue(function: lambda_.IFunction, queue: sqs.IQueue) -> None:
    """SQS -> Lambda (the function, or the alias SnapStart needs) in batches of 10 with
    partial batch failures reported per message."""
    function.add_event_source(
        sources.SqsEventSource(
            queue,
            batch_size=10,
            max_batching_window=cdk.Duration.seconds(5),
            report_batch_item_failures=True,
        )
    )
    acknowledge(
        function,
        "Serverless-LambdaEventSourceMappingDestination",
        "SQS event source mappings do not support on-failure destinations; a message that "
        "keeps failing is redriven to the queue's DLQ after maxReceiveCount="
        f"{MAX_RECEIVE_COUNT} instead.",
    )


def schedule_function(
    scope: Construct,
    construct_id: str,
    function: lambda_.IFunction,
    dlq: sqs.IQueue,
    *,
    minutes: int,
    description: str,
) -> events.Rule:
    """Invoke ``function`` every ``minutes`` with EventBridge's "Scheduled Event" envelope.

    Two retries, events older than one period dropped (the next run covers them), failures
    to ``dlq``. A retry carries the same event id, which the handlers use for idempotency.
    """
    return events.Rule(
        scope,
        construct_id,
        description=description,
        # Written in the unit operators configure ("rate(60 minutes)", not "rate(1 hour)");
        # settings keep ``minutes`` >= 5, so the plural is always right.
        schedule=events.Schedule.expression(f"rate({minutes} minutes)"),
        targets=[
            targets.LambdaFunction(
                function,
                dead_letter_queue=dlq,
                retry_attempts=2,
                max_event_age=cdk.Duration.minutes(minutes),
            )
        ],
    )
