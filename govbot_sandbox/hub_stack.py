"""The hub stack as deployed, played on moto: who govbot is, its settings and resources.

The roles and principals govbot acts as (so CloudTrail shows its own calls as deployed and
the rules can exclude them), the settings the stack gives the functions, and the hub's
resources: queues with their dead-letter queues, the EventBridge rules that feed them, and
the secrets. Every value a deployed setting has comes from the same source as the CDK
stack's (``govbot.routing``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from govbot import routing
from govbot.ledger import create_ledger_table
from govbot.slack_secrets import WORK_SIGNING_SECRET_NAME
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.lambda_service import HUB_ACCOUNT

# Package data (govbot_sandbox/policies links to the repository's policies/ directory), so
# the demo finds its policy after a plain `pip install .` as well as in a checkout.
DEMO_POLICY = Path(__file__).resolve().parent / "policies" / "demo.yaml"
REMEDIATION_ROLE = "govbot-remediation"
# The functions' own role, as the emulator sees their credentials (deployed: the Lambda role).
FUNCTIONS_ROLE = "govbot-functions"
FUNCTIONS_ACCESS_KEY = "govbot-lambda"
# What CloudTrail shows for govbot's own AppStream calls in the hub account.
BOT_PRINCIPAL = f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/{FUNCTIONS_ROLE}/govbot"
MAX_RECEIVE_COUNT = routing.MAX_RECEIVE_COUNT  # as deployed: one source of truth
SLACK_SIGNING_SECRET = "sandbox-slack-signing-secret"  # signs the fake Slack's button clicks


def own_principal_prefix(account: str) -> str:
    """Whose calls in ``account`` are govbot's, as the deployed rules exclude them: the
    functions' role in the hub account, the remediation role in a spoke."""
    role = FUNCTIONS_ROLE if account == HUB_ACCOUNT else REMEDIATION_ROLE
    return f"arn:aws:sts::{account}:assumed-role/{role}/"


def functions_environment(
    *,
    table_name: str,
    policy_parameter: str,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    max_receive_count: int,
    overrides: Mapping[str, str],
) -> dict[str, str]:
    """The settings the deployed stack gives the functions, sandbox flavoured (``overrides``
    last). Credentials and region travel in the boto3 Session, not in these settings."""
    return {
        "LEDGER_TABLE_NAME": table_name,
        "LEDGER_RETENTION_DAYS": "400",
        "POLICY_PARAMETER_NAME": policy_parameter,
        "POLICY_CACHE_SECONDS": "0",
        "GOVERNED_ACCOUNT_IDS": ",".join(accounts),
        "GOVERNED_REGIONS": ",".join(regions),
        "REMEDIATION_ROLE_NAME": REMEDIATION_ROLE,
        "HUB_ACCOUNT_ID": HUB_ACCOUNT,
        "MAX_RECEIVE_COUNT": str(max_receive_count),
        # Real backoff windows are seconds; the sandbox keeps the shape, not the wait.
        "APPSTREAM_BACKOFF_BASE_MS": "1",
        "APPSTREAM_BACKOFF_CAP_MS": "20",
        "NOTIFIER_RETRY_BASE_MS": "1",
        # As deployed: the functions' role prefix, and the spoke remediation role.
        "SELF_PRINCIPAL_ARNS": (
            f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/{FUNCTIONS_ROLE}/,"
            f"arn:aws:sts::*:assumed-role/{REMEDIATION_ROLE}/*"
        ),
        **overrides,
    }


@dataclass(frozen=True)
class QueuePair:
    """A function's queue and its dead-letter queue."""

    url: str
    arn: str
    dlq_url: str


def create_queue(sqs: Any, name: str, max_receive_count: int) -> QueuePair:
    """``name`` and ``name-dlq`` (with the SQS client ``sqs``), the first redriving to the
    second after ``max_receive_count`` receives."""
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    # Visibility 0: a failed record comes straight back on the next receive, so the
    # sandbox replays Lambda's retry-then-dead-letter path without waiting.
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return QueuePair(url=url, arn=arn, dlq_url=dlq_url)


def route_to_queue(
    events: Any, patterns: list[dict[str, Any]], queue: QueuePair, name: str
) -> None:
    """Rules on the hub bus (EventBridge client ``events``), one per pattern, each
    targeting ``queue``."""
    for i, pattern in enumerate(patterns):
        rule = f"govbot-{name}-{i}"
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": name, "Arn": queue.arn}])


def store_secret(secrets_manager: Any, name: str, value: str) -> str:
    """A Secrets Manager secret; returns its ARN."""
    return str(secrets_manager.create_secret(Name=name, SecretString=value)["ARN"])


def store_webhooks(secrets_manager: Any, policy_path: Path, slack: FakeSlack) -> str:
    """Webhook URLs live in Secrets Manager, one per route webhook key of the policy."""
    from govbot.policy.loader import load_policy

    routes = load_policy(policy_path).notifications.routes
    urls = {route.webhook: slack.url(route.webhook) for route in routes}
    return store_secret(secrets_manager, "govbot/slack/webhooks", json.dumps(urls))


@dataclass(frozen=True)
class HubResources:
    """What ``deploy_hub`` made; ``environment`` names it in the functions' settings."""

    enforcer_queue: QueuePair
    replicator_queue: QueuePair
    slack_secret_arn: str
    signing_secret_arn: str
    work_key_secret_arn: str
    environment: dict[str, str]


def deploy_hub(
    region: str,
    *,
    table_name: str,
    max_receive_count: int,
    policy_path: Path,
    slack: FakeSlack | None,
) -> HubResources:
    """The hub's ledger table, queues, the rules routing to them, and its secrets (Slack's
    only with a ``slack``), as the CDK stack makes them. One client per service: each new
    boto3 client costs tens of milliseconds, and every sandbox deploys a hub."""
    create_ledger_table(boto3.client("dynamodb", region_name=region), table_name)
    secrets_manager = boto3.client("secretsmanager", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    events = boto3.client("events", region_name=region)
    environment: dict[str, str] = {}
    slack_secret_arn = signing_secret_arn = ""
    if slack is not None:
        slack_secret_arn = store_webhooks(secrets_manager, policy_path, slack)
        signing_secret_arn = store_secret(
            secrets_manager, "govbot/slack/signing", SLACK_SIGNING_SECRET
        )
        environment["SLACK_WEBHOOKS_SECRET_ARN"] = slack_secret_arn
        environment["SLACK_SIGNING_SECRET_ARN"] = signing_secret_arn
    # The key that signs deferred work (actions -> enforcer), as deployed: a secret.
    work_key_secret_arn = store_secret(
        secrets_manager, WORK_SIGNING_SECRET_NAME, secrets.token_hex(32)
    )
    environment["WORK_SIGNING_SECRET_ARN"] = work_key_secret_arn
    enforcer_queue = create_queue(sqs, "govbot-enforcer", max_receive_count)
    # Slow button work (restore, re-apply) goes to the enforcer's queue, as deployed.
    environment["WORK_QUEUE_URL"] = enforcer_queue.url
    # As deployed: govbot's own calls never reach its queues (the rules exclude them).
    own = own_principal_prefix(HUB_ACCOUNT)
    route_to_queue(events, routing.enforcer_patterns(own), enforcer_queue, "enforcer")
    replicator_queue = create_queue(sqs, "govbot-replicator", max_receive_count)
    route_to_queue(events, routing.replicator_patterns(own), replicator_queue, "replicator")
    return HubResources(
        enforcer_queue=enforcer_queue,
        replicator_queue=replicator_queue,
        slack_secret_arn=slack_secret_arn,
        signing_secret_arn=signing_secret_arn,
        work_key_secret_arn=work_key_secret_arn,
        environment=environment,
    )
