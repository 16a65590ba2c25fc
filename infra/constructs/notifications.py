"""Notifications: outbox stream -> notifier -> Slack; Slack buttons -> actions endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from govbot import routing
from govbot.slack_secrets import SIGNING_SECRET_NAME, WEBHOOKS_SECRET_NAME
from infra.constructs.alarms import Alarms
from infra.constructs.function import FunctionFactory, FunctionSpec, GovbotFunction
from infra.constructs.queues import schedule_function
from infra.constructs.worker import add_kms_and_table_access, ledger_arns
from infra.grants import grant_declared
from infra.nag import acknowledge

NOTIFIER_TIMEOUT = cdk.Duration.seconds(routing.NOTIFIER_TIMEOUT_SECONDS)
ACTIONS_TIMEOUT = cdk.Duration.seconds(10)
ACTIONS_RESERVED_CONCURRENCY = 10
STREAM_RETRY_ATTEMPTS = 5
DIGEST_FLUSH_MINUTES = 5
# Stable names (docs/deploying.md, `govbot slack check`): operators and scripts find the
# secrets without reading the stack's outputs. One hub per account and region.

_ROTATION_REASON = (
    "Slack webhook URLs and signing secrets are issued and rotated in Slack's app admin, "
    "not by a rotation Lambda; the operator pastes the new value into this secret."
)


def outbox_insert_filter() -> Mapping[str, Any]:
    """The stream filter: only INSERTs of items whose ``kind`` is ``outbox``."""
    return lambda_.FilterCriteria.filter(
        {
            "eventName": lambda_.FilterRule.is_equal("INSERT"),
            "dynamodb": {"NewImage": {"kind": {"S": lambda_.FilterRule.is_equal("outbox")}}},
        }
    )


class Notifications(Construct):
    """Slack secrets, the outbox notifier and the signature-verified actions endpoint."""

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
        work_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        # Generated placeholders: no value ever appears in the template.
        self.webhooks_secret = secretsmanager.Secret(
            self,
            "SlackWebhooks",
            secret_name=WEBHOOKS_SECRET_NAME,
            description='govbot: Slack incoming webhooks as JSON {"route": "https://hooks..."}',
            encryption_key=key,
        )
        self.signing_secret = secretsmanager.Secret(
            self,
            "SlackSigningSecret",
            secret_name=SIGNING_SECRET_NAME,
            description="govbot: the Slack app's signing secret (verifies button clicks)",
            encryption_key=key,
        )
        for secret in (self.webhooks_secret, self.signing_secret):
            acknowledge(secret, "AwsSolutions-SMG4", _ROTATION_REASON)

        self.failures = sqs.Queue(
            self,
            "NotifierFailures",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        for rule_id in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(
                self.failures,
                rule_id,
                "This queue is itself the on-failure destination (dead-letter target) of "
                "the notifier's stream event source mapping; a DLQ of a DLQ adds nothing.",
            )

        self.notifier: GovbotFunction = factory.build(
            self,
            "Notifier",
            FunctionSpec(
                handler="govbot.handlers.notifier.handler",
                description="govbot notifier: delivers ledger outbox records to Slack",
                environment={
                    **environment,
                    "SLACK_WEBHOOKS_SECRET_ARN": self.webhooks_secret.secret_arn,
                },
                timeout=NOTIFIER_TIMEOUT,
                memory_size=256,
                no_dlq_reason="Invoked by the ledger stream mapping, whose on-failure "
                "destination is the NotifierFailures queue, and by the digest-flush schedule, "
                "whose failed flush is simply redone by the next one (digest state is in the "
                "ledger, not in the event).",
                extra_star_note="dynamodb:ListStreams, added by the DynamoDB stream event "
                "source, lists no resource type and is only grantable on '*'.",
            ),
        )
        notifier = self.notifier.function
        notifier.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=10,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.failures),
                filters=[outbox_insert_filter()],
            )
        )
        # A storm's last digest must not wait for the next outbox item to come along.
        self.digest_rule = schedule_function(
            self,
            "DigestFlushSchedule",
            notifier,
            self.failures,
            minutes=DIGEST_FLUSH_MINUTES,
            description="govbot: send the Slack digests of storm windows that have ended",
        )
        ledger = {**ledger_arns(table), "policy-parameter": [policy_parameter.parameter_arn]}
        grant_declared(
            self,
            self.notifier.role,
            "notifier",
            regions=(),
            arns={**ledger, "slack-secret": [self.webhooks_secret.secret_arn]},
        )
        add_kms_and_table_access(self.notifier.role, table)

        self.actions: GovbotFunction = factory.build(
            self,
            "Actions",
            FunctionSpec(
                handler="govbot.handlers.actions.handler",
                description="govbot actions: verifies Slack signatures and applies button actions",
                environment={
                    **environment,
                    "SLACK_SIGNING_SECRET_ARN": self.signing_secret.secret_arn,
                    # Slow button work (AppStream calls) is deferred to the enforcer's queue.
                    "WORK_QUEUE_URL": work_queue.queue_url,
                },
                timeout=ACTIONS_TIMEOUT,
                memory_size=256,
                # Caps what an unauthenticated URL can cost if it is flooded. A forged
                # request is refused before any I/O (about a millisecond, no ledger write),
                # so these slots serve thousands of refusals a second and real clicks
                # still find one free (bench: actions_forged_flood).
                reserved_concurrency=ACTIONS_RESERVED_CONCURRENCY,
                no_dlq_reason="Only invoked synchronously through its function URL; Slack "
                "sees the error response and the user can click again.",
            ),
        )
        self.actions_url = self.actions.function.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.NONE
        )
        grant_declared(
            self,
            self.actions.role,
            "actions",
            regions=(),
            arns={
                **ledger,
                "slack-secret": [self.signing_secret.secret_arn],
                "work-queue": [work_queue.queue_arn],
            },
        )
        add_kms_and_table_access(self.actions.role, table)

        # govbot's alarms reach Slack without the ledger (a dead-lettered event whose ledger
        # writes failed has no outbox item): the alarm topic invokes the notifier, which
        # posts each alarm to the critical routes (govbot/notifier/alarms.py).
        notifier.add_event_source(sources.SnsEventSource(alarms.topic))
        acknowledge(
            notifier,
            "Serverless-SNSRedrivePolicy",
            "The alarm topic's Lambda subscription needs no redrive queue: an alarm that "
            "cannot be posted stays in ALARM in CloudWatch and, when an alarm e-mail is set, "
            "reaches the topic's e-mail subscription (which has a redrive queue); a redrive "
            "queue of its own would need a depth alarm on this same topic, a loop that adds "
            "nothing.",
        )
        alarms.add_dlq_depth("NotifierFailuresDepth", self.failures)
        alarms.add_function_health("Notifier", notifier)
        alarms.add_iterator_age("NotifierIteratorAge", notifier)
        alarms.add_function_health("Actions", self.actions.function)
