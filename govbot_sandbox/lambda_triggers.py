"""Every way the Lambda service invokes govbot's functions, played locally against moto.

Queue batches go to the enforcer and the replicator (what succeeded is deleted, failures
come back and dead-letter after the queue's maxReceiveCount), the ledger's stream goes to
the notifier through the deployed filter, CloudWatch's dead-letter depth alarms reach the
notifier through the alarm topic; the schedules invoke the replicator and the drift
sweeper, Slack's button clicks the actions Function URL, an operator the notifier's replay.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from govbot import routing
from govbot_sandbox.fake_slack import block_actions_payload, function_url_event
from govbot_sandbox.faults import ProcessDied
from govbot_sandbox.hub_stack import SLACK_SIGNING_SECRET, QueuePair
from govbot_sandbox.lambda_service import (
    HUB_ACCOUNT,
    LambdaContextStub,
    jsonable,
    scheduled_event,
    sqs_record,
)

logger = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
NOTIFIER_BATCH_SIZE = 10  # the stream event source mapping's batch size, as deployed


@dataclass
class DrainReport:
    """What one ``drain()`` did: batches handled, failures retried, items dead-lettered."""

    batches: int = 0
    records: int = 0
    failures: int = 0
    notified: int = 0
    rounds: int = 0


class LambdaTriggers:
    """The hub's event source mappings, schedules, Function URL, alarm topic and operator.

    ``context`` gives the Lambda context of a function, by name, for each invocation that
    gets one from the sandbox's settings; ``now`` is governance time (the schedules' clock).
    """

    def __init__(
        self,
        region: str,
        table_name: str,
        context: Callable[[str], LambdaContextStub],
        now: Callable[[], datetime],
    ) -> None:
        self.region = region
        self.table_name = table_name
        self.context = context
        self.now = now
        self._stream_arn: str | None = None
        self._stream_filter: Any = None  # the notifier's deployed filter, as moto's pattern
        self._stream_iterators: dict[str, str] = {}  # shard id -> where the next read starts
        self._alarm_states: dict[str, str] = {}  # OK or ALARM per dead-letter queue
        self._clients: dict[str, Any] = {}  # the harness's own clients, by service

    def client(self, service: str) -> Any:
        """The harness's client of ``service``, made once: each new boto3 client costs
        tens of milliseconds, and a drain reads the queues and the stream many times."""
        client = self._clients.get(service)
        if client is None:
            # moto answers the regional Streams endpoint, not the account-based one.
            streams = service == "dynamodbstreams"
            config = Config(account_id_endpoint_mode="disabled") if streams else None
            make: Any = boto3.client  # typed per literal service name
            client = make(service, region_name=self.region, config=config)
            self._clients[service] = client
        return client

    def drain(
        self,
        enforcer_queue: QueuePair,
        replicator_queue: QueuePair | None,
        *,
        notify: bool,
        max_rounds: int,
    ) -> DrainReport:
        """Deliver queued events to the handlers until every queue (and, with ``notify``,
        the stream) is quiet, or ``max_rounds`` rounds ran."""
        from govbot.handlers import enforcer, replicator

        report = DrainReport()
        for _ in range(max_rounds):
            report.rounds += 1
            handled = self.deliver(enforcer_queue, enforcer.handler, "enforcer", report)
            if replicator_queue is not None:
                sent = self.deliver(replicator_queue, replicator.handler, "replicator", report)
                handled = sent or handled
            notified = notify and self.notify(report)
            if not handled and not notified:
                break
        return report

    def deliver(self, queue: QueuePair, handler: Handler, name: str, report: DrainReport) -> bool:
        """Hand one batch of ``queue`` to ``handler`` (function ``govbot-<name>``); False
        when the queue was empty."""
        sqs = self.client("sqs")
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
            result = handler({"Records": records}, self.context(f"govbot-{name}"))
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

    def notify(self, report: DrainReport) -> bool:
        """Feed new outbox INSERTs from the ledger stream to the notifier, as Lambda does."""
        from govbot.handlers import notifier

        records = list(self.stream_records())
        if not records:
            return False
        for start in range(0, len(records), NOTIFIER_BATCH_SIZE):
            batch = records[start : start + NOTIFIER_BATCH_SIZE]
            result = notifier.handler({"Records": batch}, self.context("govbot-notifier"))
            report.failures += len(result.get("batchItemFailures", []))
        report.notified += len(records)
        return True

    def stream_records(self) -> Iterator[dict[str, Any]]:
        """The ledger stream's new records that pass the notifier's filter (each read once)."""
        from moto.events.models import EventPattern

        streams = self.client("dynamodbstreams")
        if self._stream_arn is None:  # the table lives as long as the sandbox: read once
            table = self.client("dynamodb").describe_table(TableName=self.table_name)["Table"]
            self._stream_arn = str(table["LatestStreamArn"])
            self._stream_filter = EventPattern.load(json.dumps(routing.OUTBOX_STREAM_FILTER))
        stream_arn, pattern = self._stream_arn, self._stream_filter
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

    def dead_letters(self, queue: QueuePair) -> list[str]:
        """Bodies waiting in ``queue``'s dead-letter queue (all of them; left in place)."""
        sqs = self.client("sqs")
        found: list[Any] = []
        while page := sqs.receive_message(
            QueueUrl=queue.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", []):
            found += page
        for message in found:  # visible again for the next look (or a redrive)
            sqs.change_message_visibility(
                QueueUrl=queue.dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [m["Body"] for m in found]

    def dlq_alarms(self, queues: Mapping[str, QueuePair | None]) -> list[dict[str, Any]]:
        """Play CloudWatch for the dead-letter queues' depth alarms (as deployed: ``DlqDepth``
        alarms -> the alarm topic -> the notifier): a queue whose DLQ went from empty to
        holding messages raises its alarm once; returns the notifier's answers."""
        from govbot.handlers import notifier
        from govbot.notifier.alarms import alarm_sns_event

        answers = []
        sqs = self.client("sqs")
        for name, queue in queues.items():
            if queue is None:
                continue
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
                "Region": self.region,
                "Trigger": {"Dimensions": [{"name": "QueueName", "value": f"govbot-{name}-dlq"}]},
            }
            topic = f"arn:aws:sns:{self.region}:{HUB_ACCOUNT}:govbot-alarms"
            event = alarm_sns_event(alarm, topic)
            answers.append(notifier.handler(event, LambdaContextStub("govbot-notifier")))
        return answers

    def deliver_raw(self, bodies: list[str]) -> dict[str, Any]:
        """Invoke the enforcer with one SQS batch of raw message bodies (bypassing the rule)."""
        from govbot.handlers import enforcer

        event = {"Records": [sqs_record(body, f"raw-{i}") for i, body in enumerate(bodies)]}
        result: dict[str, Any] = enforcer.handler(event, self.context("govbot-enforcer"))
        return result

    def replicator_schedule(self) -> dict[str, Any]:
        """Invoke the replicator as its schedule does (EventBridge "Scheduled Event")."""
        from govbot.handlers import replicator

        event = scheduled_event("govbot-replicator-sweep", self.now(), self.region)
        result: dict[str, Any] = replicator.handler(event, LambdaContextStub("govbot-replicator"))
        return result

    def drift_schedule(self, event_id: str | None) -> dict[str, Any]:
        """Invoke the drift sweeper as its schedule does; returns the sweep report."""
        from govbot.handlers import enforcer

        event = scheduled_event("govbot-drift-sweep", self.now(), self.region, event_id=event_id)
        # The deployed schedule targets the drift sweeper (the enforcer's code, own timeout).
        sweeper = LambdaContextStub("govbot-drift-sweeper")
        result: dict[str, Any] = enforcer.sweep_handler(event, sweeper)
        return dict(result["sweep"])

    def click(
        self, button_action_id: str, value: str, user_id: str, secret: str | None
    ) -> dict[str, Any]:
        """The signed Function URL request of a Slack button click, to the actions handler
        (signed with ``secret``, by default the sandbox's); returns the HTTP response."""
        from govbot.handlers import actions

        payload = block_actions_payload(user_id=user_id, action_id=button_action_id, value=value)
        timestamp = int(time.time())  # the handler checks it against the real clock
        event = function_url_event(
            payload, secret=secret or SLACK_SIGNING_SECRET, timestamp=timestamp
        )
        result: dict[str, Any] = actions.handler(event, LambdaContextStub("govbot-actions"))
        return result

    def replay_notifications(self, messages: list[Any] | None) -> dict[str, Any]:
        """An operator invokes the notifier with ``replay-dead-letters`` and ``messages``
        (by default one unreadable on-failure record, see ``Sandbox.replay_notifications``)."""
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
        result: dict[str, Any] = notifier.handler(event, self.context("govbot-notifier"))
        return result
