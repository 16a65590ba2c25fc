"""The closed-loop local sandbox: moto + the AppStream emulator + govbot's handlers.

An AppStream call made with boto3 emits its CloudTrail event to the EventBridge bus of its
region; spoke regions forward it to the hub bus, envelope intact (as deployed); the hub's
rules, built from the same patterns as the CDK stack, route it to the enforcer's queue;
``drain()`` plays the Lambda service: it feeds queue batches to the real handlers, deletes
what succeeded, lets failures come back (and dead-letter after the queue's maxReceiveCount:
by default the deployed one, ``govbot.routing.MAX_RECEIVE_COUNT``), and feeds the ledger's
stream through the notifier's filter.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws

from govbot import observability, routing, wiring
from govbot.ledger import Ledger, create_ledger_table
from govbot.slack_secrets import WORK_SIGNING_SECRET_NAME
from govbot_sandbox import (
    moto_sorting,  # noqa: F401 (index queries sorted once per item)
    moto_threads,  # noqa: F401 (moto's DynamoDB made thread-safe)
    moto_transactions,  # noqa: F401 (a cancelled commit streams nothing)
)
from govbot_sandbox.ec2_trail import ec2_image_trail
from govbot_sandbox.emulator import AppStreamEmulator, MotoEventBridgeSink, mock_appstream
from govbot_sandbox.fake_slack import FakeSlack, block_actions_payload, function_url_event
from govbot_sandbox.faults import Crashes, DynamoFaults, ProcessDied
from govbot_sandbox.forwarding import SpokeForwarders
from govbot_sandbox.lambda_service import (
    HUB_ACCOUNT,
    LambdaContextStub,
    jsonable,
    scheduled_event,
    sqs_record,
)

logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent
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


def own_principal_prefix(account: str) -> str:
    """Whose calls in ``account`` are govbot's, as the deployed rules exclude them: the
    functions' role in the hub account, the remediation role in a spoke."""
    role = FUNCTIONS_ROLE if account == HUB_ACCOUNT else REMEDIATION_ROLE
    return f"arn:aws:sts::{account}:assumed-role/{role}/"


SLACK_SIGNING_SECRET = "sandbox-slack-signing-secret"  # signs the fake Slack's button clicks


@dataclass
class DrainReport:
    """What one ``drain()`` did: batches handled, failures retried, items dead-lettered."""

    batches: int = 0
    records: int = 0
    failures: int = 0
    notified: int = 0
    rounds: int = 0


@dataclass(frozen=True)
class QueuePair:
    url: str
    arn: str
    dlq_url: str


class Sandbox:
    """A running govbot on moto and the emulator; use as a context manager.

    Parameters
    ----------
    policy_path:
        The policy YAML stored in SSM for the handlers (default: ``policies/demo.yaml``).
    regions:
        Governed regions; the first is the hub region.
    accounts:
        Governed accounts (default: the hub account only).
    environment:
        Handler settings to use instead of the sandbox's (e.g. ``POLICY_CACHE_SECONDS``,
        which the sandbox sets to 0 so a test's new policy applies at once).
    sleep:
        How the handlers' in-process retries wait (Slack's back-off); default
        ``time.sleep``, as deployed. Tests pass a recorder, so nothing really waits.
    """

    def __init__(
        self,
        *,
        policy_path: Path = DEMO_POLICY,
        regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1"),
        accounts: tuple[str, ...] = (HUB_ACCOUNT,),
        clock: Any | None = None,
        slack: FakeSlack | None = None,
        notify: bool = True,
        max_receive_count: int = MAX_RECEIVE_COUNT,
        remaining_ms: Callable[[], int] | None = None,
        environment: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.policy_path = policy_path
        self.sleep = sleep
        self.regions = regions
        self.hub_region = regions[0]
        self.accounts = accounts
        self.table_name = "govbot-ledger"
        self.policy_parameter = "/govbot/policy"
        self.emulator = AppStreamEmulator(clock=clock)
        self.slack = slack
        self.notify = notify
        # The queues' maxReceiveCount (and the enforcer's MAX_RECEIVE_COUNT, as deployed).
        self.max_receive_count = max_receive_count
        # What the Lambda context says is left of the invocation (default: plenty).
        self.remaining_ms = remaining_ms
        # Fault injection beyond the emulator's: DynamoDB errors, process deaths.
        # Settings that differ from the sandbox's (e.g. the deployed cache ages, for a bench).
        self.environment_overrides = dict(environment or {})
        # The boto3 Session the handlers' clients come from (hooks see govbot's calls only).
        self.session: Any = None
        self.dynamodb_faults = DynamoFaults()
        self.crashes = Crashes()
        self.slack_secret_arn = ""
        self.signing_secret_arn = ""
        self.work_key_secret_arn = ""
        self._aws = mock_aws()
        self._appstream = mock_appstream(self.emulator)
        # EC2 launch permissions of exported AMIs reach the buses like AppStream's calls.
        self._ec2_trail = ec2_image_trail(
            self.emulator.sink, self.emulator.context_for, lambda: self.emulator.backend.clock.now()
        )
        self._hub_sink = MotoEventBridgeSink(deliver_to=(HUB_ACCOUNT, self.hub_region))
        self.forwarders = SpokeForwarders(
            (HUB_ACCOUNT, self.hub_region), accounts, own_principal_prefix, self._hub_sink
        )
        self.emulator.sink.sinks.append(self.forwarders)
        self._environ: dict[str, str] = {}
        self._stream_iterators: dict[str, str] = {}
        self._alarm_states: dict[str, str] = {}  # cloudwatch_alarms(): OK or ALARM per DLQ
        self.enforcer_queue: QueuePair | None = None
        self.replicator_queue: QueuePair | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self._aws.start()
        self._appstream.__enter__()
        self._ec2_trail.__enter__()
        backend = self.emulator.backend
        backend.dispatch = self.crashes.wrap(backend.dispatch)  # type: ignore[method-assign]
        self._environ = self.handler_environment()
        self.emulator.register_identity(
            FUNCTIONS_ACCESS_KEY, HUB_ACCOUNT, BOT_PRINCIPAL, "AssumedRole"
        )
        self._wire_handlers()
        dynamodb = boto3.client("dynamodb", region_name=self.hub_region)
        create_ledger_table(dynamodb, self.table_name)
        self.put_policy(self.policy_path.read_text())
        if self.slack is not None:
            self.slack_secret_arn = self._store_webhooks(self.slack)
            self.signing_secret_arn = boto3.client(
                "secretsmanager", region_name=self.hub_region
            ).create_secret(Name="govbot/slack/signing", SecretString=SLACK_SIGNING_SECRET)["ARN"]
            self._environ["SLACK_WEBHOOKS_SECRET_ARN"] = self.slack_secret_arn
            self._environ["SLACK_SIGNING_SECRET_ARN"] = self.signing_secret_arn
        # The key that signs deferred work (actions -> enforcer), as deployed: a secret.
        self.work_key_secret_arn = boto3.client(
            "secretsmanager", region_name=self.hub_region
        ).create_secret(Name=WORK_SIGNING_SECRET_NAME, SecretString=secrets.token_hex(32))["ARN"]
        self._environ["WORK_SIGNING_SECRET_ARN"] = self.work_key_secret_arn
        self.enforcer_queue = self._queue("govbot-enforcer")
        # Slow button work (restore, re-apply) goes to the enforcer's queue, as deployed.
        self._environ["WORK_QUEUE_URL"] = self.enforcer_queue.url
        # As deployed: govbot's own calls never reach its queues (the rules exclude them).
        own = own_principal_prefix(HUB_ACCOUNT)
        self._route(routing.enforcer_patterns(own), self.enforcer_queue, "enforcer")
        self.replicator_queue = self._queue("govbot-replicator")
        self._route(routing.replicator_patterns(own), self.replicator_queue, "replicator")
        self._wire_handlers()
        return self

    def __exit__(self, *exc: object) -> None:
        self.dynamodb_faults.uninstall()
        self._ec2_trail.__exit__(None, None, None)
        self._appstream.__exit__(None, None, None)
        self._aws.stop()
        wiring.configure()
        observability.configure()

    def _wire_handlers(self) -> None:
        """Give the handlers the sandbox's settings, credentials and clock (the public seam).

        The functions' credentials are the ones the emulator knows as the functions' role,
        so govbot's own calls show in CloudTrail as deployed. Governance time follows the
        emulator's (possibly manual) clock, for the enforcer and the replicator alike.
        """
        session = boto3.session.Session(
            aws_access_key_id=FUNCTIONS_ACCESS_KEY,
            aws_secret_access_key="sandbox",
            region_name=self.hub_region,
        )
        self.dynamodb_faults.install(session)
        self.session = session
        wiring.configure(
            environ=self._environ,
            session=session,
            clock=self.emulator.backend.clock.now,
            sleep=self.sleep,
        )
        observability.configure(emit_metrics=False)
        observability.logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))

    def handler_environment(self) -> dict[str, str]:
        """The settings the deployed stack gives the functions, sandbox flavoured.

        Credentials and region travel in the boto3 Session the sandbox hands the
        composition root; nothing here is written to the process environment.
        """
        return {
            "LEDGER_TABLE_NAME": self.table_name,
            "LEDGER_RETENTION_DAYS": "400",
            "POLICY_PARAMETER_NAME": self.policy_parameter,
            "POLICY_CACHE_SECONDS": "0",
            "GOVERNED_ACCOUNT_IDS": ",".join(self.accounts),
            "GOVERNED_REGIONS": ",".join(self.regions),
            "REMEDIATION_ROLE_NAME": REMEDIATION_ROLE,
            "HUB_ACCOUNT_ID": HUB_ACCOUNT,
            # As deployed: the functions' role prefix, and the spoke remediation role.
            "MAX_RECEIVE_COUNT": str(self.max_receive_count),
            # Real backoff windows are seconds; the sandbox keeps the shape, not the wait.
            "APPSTREAM_BACKOFF_BASE_MS": "1",
            "APPSTREAM_BACKOFF_CAP_MS": "20",
            "NOTIFIER_RETRY_BASE_MS": "1",
            "SELF_PRINCIPAL_ARNS": (
                f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/{FUNCTIONS_ROLE}/,"
                f"arn:aws:sts::*:assumed-role/{REMEDIATION_ROLE}/*"
            ),
            **self.environment_overrides,
        }

    # -- people and their tools ------------------------------------------------------------

    def appstream(self, region: str, *, user: str = "alice", account: str = HUB_ACCOUNT) -> Any:
        """A boto3 AppStream client acting as a person (``user``) of ``account``."""
        access_key = f"AKIA{user.upper():0<8.8}{account}"[:20]
        self.emulator.register_identity(
            access_key, account, f"arn:aws:iam::{account}:user/{user}", "IAMUser"
        )
        return boto3.client(
            "appstream",
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="sandbox",
        )

    def ec2(self, region: str, *, user: str = "alice", account: str = HUB_ACCOUNT) -> Any:
        """A boto3 EC2 client acting as ``user`` of ``account`` (moto's EC2 of that account,
        where the emulator's exports put their AMIs)."""
        access_key = f"AKIA{user.upper():0<8.8}{account}"[:20]
        self.emulator.register_identity(
            access_key, account, f"arn:aws:iam::{account}:user/{user}", "IAMUser"
        )
        client = boto3.client(
            "ec2",
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="sandbox",
        )

        def in_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign.ec2", in_account)
        return client

    @property
    def ledger(self) -> Ledger:
        """The ledger gateway on the sandbox table."""
        return Ledger(self.table_name, client=boto3.client("dynamodb", region_name=self.hub_region))

    def put_policy(self, text: str) -> None:
        """Store a policy version (YAML text) in SSM as the CDK deployment does: its JSON."""
        from govbot.policy.loader import policy_json

        boto3.client("ssm", region_name=self.hub_region).put_parameter(
            Name=self.policy_parameter,
            Value=policy_json(text, "sandbox policy"),
            Type="String",
            Tier="Advanced",
            Overwrite=True,
        )

    # -- the Lambda service, played locally -------------------------------------------------

    def drain(self, *, max_rounds: int = 25) -> DrainReport:
        """Deliver queued events to the handlers until every queue and the stream are quiet."""
        from govbot.handlers import enforcer

        report = DrainReport()
        assert self.enforcer_queue is not None
        for _ in range(max_rounds):
            report.rounds += 1
            handled = self._deliver(self.enforcer_queue, enforcer.handler, "enforcer", report)
            handled = self._deliver_replicator(report) or handled
            notified = self._notify(report)
            if not handled and not notified:
                break
        return report

    def deliver_raw(self, bodies: list[str]) -> dict[str, Any]:
        """Invoke the enforcer with one SQS batch of raw message bodies (bypassing the rule)."""
        from govbot.handlers import enforcer

        event = {"Records": [sqs_record(body, f"raw-{i}") for i, body in enumerate(bodies)]}
        result: dict[str, Any] = enforcer.handler(event, self._context("govbot-enforcer"))
        return result

    def sweep(self) -> dict[str, Any]:
        """Invoke the replicator as its schedule does (EventBridge "Scheduled Event")."""
        from govbot.handlers import replicator

        now = self.emulator.backend.clock.now()
        event = scheduled_event("govbot-replicator-sweep", now, self.hub_region)
        result: dict[str, Any] = replicator.handler(event, LambdaContextStub("govbot-replicator"))
        return result

    def drift_sweep(self, *, event_id: str | None = None) -> dict[str, Any]:
        """Invoke the enforcer as its drift-sweep schedule does; returns the sweep report.

        Pass the same ``event_id`` twice to replay a retried scheduled invocation.
        """
        from govbot.handlers import enforcer

        now = self.emulator.backend.clock.now()
        event = scheduled_event("govbot-drift-sweep", now, self.hub_region, event_id=event_id)
        # The deployed schedule targets the drift sweeper (the enforcer's code, own timeout).
        sweeper = LambdaContextStub("govbot-drift-sweeper")
        result: dict[str, Any] = enforcer.sweep_handler(event, sweeper)
        return dict(result["sweep"])

    def click(
        self, button_action_id: str, value: str, user_id: str, *, secret: str | None = None
    ) -> dict[str, Any]:
        """A Slack user clicks a button: the signed Function URL request, to the actions handler.

        ``secret`` signs with another key (a forged request); the default is the sandbox's.
        Returns the handler's HTTP response (``statusCode``, ``body``).
        """
        from govbot.handlers import actions

        payload = block_actions_payload(user_id=user_id, action_id=button_action_id, value=value)
        timestamp = int(time.time())  # the handler checks it against the real clock
        event = function_url_event(
            payload, secret=secret or SLACK_SIGNING_SECRET, timestamp=timestamp
        )
        result: dict[str, Any] = actions.handler(event, LambdaContextStub("govbot-actions"))
        return result

    def replay_notifications(self, messages: list[Any] | None = None) -> dict[str, Any]:
        """An operator replays the notifier's on-failure queue (``replay-dead-letters``).

        ``messages`` are what the queue holds; by default one on-failure record of the
        stream's first shard, as Lambda writes it (``DDBStreamBatchInfo`` only). moto cannot
        open a shard at a sequence number, so reading that range fails as a trimmed one
        would on AWS: the notifier must fall back to the ledger.
        """
        from govbot.handlers import notifier

        if messages is None:
            info = {
                "streamArn": "arn:aws:dynamodb:sandbox:stream/unreadable",
                "shardId": "shardId-unreadable",
                "startSequenceNumber": "1",
                "endSequenceNumber": "2",
            }
            messages = [{"body": json.dumps({"DDBStreamBatchInfo": info})}]
        event = {"govbot": "replay-dead-letters", "messages": messages}
        result: dict[str, Any] = notifier.handler(event, self._context("govbot-notifier"))
        return result

    def cloudwatch_alarms(self) -> list[dict[str, Any]]:
        """Play CloudWatch for the dead-letter queues' depth alarms (as deployed: ``DlqDepth``
        alarms -> the alarm topic -> the notifier): a queue whose DLQ went from empty to
        holding messages raises its alarm once; returns the notifier's answers."""
        from govbot.handlers import notifier
        from govbot.notifier.alarms import alarm_sns_event

        answers = []
        for name, queue in (
            ("enforcer", self.enforcer_queue),
            ("replicator", self.replicator_queue),
        ):
            if queue is None:
                continue
            sqs = boto3.client("sqs", region_name=self.hub_region)
            depth = int(
                sqs.get_queue_attributes(
                    QueueUrl=queue.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            was = self._alarm_states.get(name, "OK")
            now = "ALARM" if depth > 0 else "OK"
            self._alarm_states[name] = now
            if now == was or now == "OK":
                continue
            alarm = {
                "AlarmName": f"govbot-{name}-dlq-depth",
                "AlarmDescription": "govbot: messages in a dead-letter queue need a look",
                "NewStateValue": "ALARM",
                "NewStateReason": f"ApproximateNumberOfMessagesVisible {depth} > 0",
                "AWSAccountId": HUB_ACCOUNT,
                "Region": self.hub_region,
                "Trigger": {"Dimensions": [{"name": "QueueName", "value": f"govbot-{name}-dlq"}]},
            }
            topic = f"arn:aws:sns:{self.hub_region}:{HUB_ACCOUNT}:govbot-alarms"
            event = alarm_sns_event(alarm, topic)
            answers.append(notifier.handler(event, LambdaContextStub("govbot-notifier")))
        return answers

    def _context(self, function_name: str) -> LambdaContextStub:
        if self.remaining_ms is not None:
            return LambdaContextStub(function_name, remaining=self.remaining_ms)
        if function_name == "govbot-notifier":  # as deployed: time to wait for Slack
            timeout_ms = routing.NOTIFIER_TIMEOUT_SECONDS * 1000
            return LambdaContextStub(function_name, remaining=lambda: timeout_ms)
        return LambdaContextStub(function_name)

    def dead_letters(self) -> list[str]:
        """Bodies waiting in the enforcer's dead-letter queue (all of them; left in place)."""
        assert self.enforcer_queue is not None
        sqs = boto3.client("sqs", region_name=self.hub_region)
        url = self.enforcer_queue.dlq_url
        found: list[Any] = []
        while page := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", []):
            found += page
        for message in found:  # visible again for the next look (or a redrive)
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [m["Body"] for m in found]

    # -- internals ---------------------------------------------------------------------------

    def _deliver(
        self,
        queue: QueuePair,
        handler: Callable[[dict[str, Any], Any], dict[str, Any]],
        name: str,
        report: DrainReport,
    ) -> bool:
        sqs = boto3.client("sqs", region_name=self.hub_region)
        messages = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return False
        records = [
            sqs_record(
                m["Body"],
                m["MessageId"],
                queue.arn,
                receive_count=m.get("Attributes", {}).get("ApproximateReceiveCount", "1"),
            )
            for m in messages
        ]
        try:
            result = handler({"Records": records}, self._context(f"govbot-{name}"))
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except (Exception, ProcessDied):
            # As in Lambda: an invocation error or a crash (Powertools raises when every
            # record failed) returns the whole batch to the queue, to retry or dead-letter.
            logger.warning("%s invocation failed; the batch goes back to its queue", name)
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
        report.batches += 1
        report.records += len(messages)
        report.failures += len(failed)
        return True

    def _deliver_replicator(self, report: DrainReport) -> bool:
        from govbot.handlers import replicator

        if self.replicator_queue is None:
            return False
        return self._deliver(self.replicator_queue, replicator.handler, "replicator", report)

    def _notify(self, report: DrainReport) -> bool:
        """Feed new outbox INSERTs from the ledger stream to the notifier, as Lambda does."""
        if not self.notify:
            return False
        from govbot.handlers import notifier

        records = list(self._stream_records())
        if not records:
            return False
        for start in range(0, len(records), 10):  # the event source mapping's batch size
            result = notifier.handler(
                {"Records": records[start : start + 10]}, self._context("govbot-notifier")
            )
            report.failures += len(result.get("batchItemFailures", []))
        report.notified += len(records)
        return True

    def outbox_stream_records(self) -> list[dict[str, Any]]:
        """The ledger stream's new records that pass the notifier's filter (read once)."""
        return list(self._stream_records())

    def _store_webhooks(self, slack: FakeSlack) -> str:
        """Webhook URLs live in Secrets Manager, one per route webhook key of the policy."""
        from govbot.policy.loader import load_policy

        routes = load_policy(self.policy_path).notifications.routes
        urls = {route.webhook: slack.url(route.webhook) for route in routes}
        secrets = boto3.client("secretsmanager", region_name=self.hub_region)
        created = secrets.create_secret(Name="govbot/slack/webhooks", SecretString=json.dumps(urls))
        return str(created["ARN"])

    def _stream_records(self) -> Iterator[dict[str, Any]]:
        from moto.events.models import EventPattern

        # moto answers the regional Streams endpoint, not the account-based one.
        streams = boto3.client(
            "dynamodbstreams",
            region_name=self.hub_region,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        table = boto3.client("dynamodb", region_name=self.hub_region).describe_table(
            TableName=self.table_name
        )["Table"]
        stream_arn = table["LatestStreamArn"]
        pattern = EventPattern.load(json.dumps(routing.OUTBOX_STREAM_FILTER))
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            iterator = (
                self._stream_iterators.get(shard_id)
                or streams.get_shard_iterator(
                    StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            page = streams.get_records(ShardIterator=iterator)
            self._stream_iterators[shard_id] = page["NextShardIterator"]
            for record in page["Records"]:
                record = jsonable(record)
                if pattern.matches_event(record):
                    yield record

    def _queue(self, name: str) -> QueuePair:
        sqs = boto3.client("sqs", region_name=self.hub_region)
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        # Visibility 0: a failed record comes straight back on the next receive, so the
        # sandbox replays Lambda's retry-then-dead-letter path without waiting.
        url = sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": "0",
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": dlq_arn,
                        "maxReceiveCount": str(self.max_receive_count),
                    }
                ),
            },
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return QueuePair(url=url, arn=arn, dlq_url=dlq_url)

    def _route(self, patterns: list[dict[str, Any]], queue: QueuePair, name: str) -> None:
        """Rules on the hub bus, one per pattern, each targeting ``queue``."""
        events = boto3.client("events", region_name=self.hub_region)
        for i, pattern in enumerate(patterns):
            rule = f"govbot-{name}-{i}"
            events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=rule, Targets=[{"Id": name, "Arn": queue.arn}])
