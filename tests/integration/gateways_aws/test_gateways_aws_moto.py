"""The SSM, SQS, STS and DynamoDB Streams gateways through real boto3 clients on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from govbot.gateways.sqs import QueueSendError, SqsQueue
from govbot.gateways.ssm import ParameterError, ParameterStore
from govbot.gateways.streams import DynamoStreamReader
from govbot.gateways.sts import caller_account
from govbot.ledger import Ledger, OutboxItem, create_ledger_table

REGION = "us-east-1"


@pytest.fixture
def session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


def test_parameter_store_reads_once_per_max_age(session: boto3.session.Session) -> None:
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/govbot/policy", Value="v1", Type="String")
    now = [0.0]
    made: list[str] = []

    def factory() -> object:
        made.append("ssm")
        return session.client("ssm")

    store = ParameterStore(factory, clock=lambda: now[0])
    assert store.get("/govbot/policy", max_age=60) == "v1"
    ssm.put_parameter(Name="/govbot/policy", Value="v2", Type="String", Overwrite=True)
    now[0] = 59.0
    assert store.get("/govbot/policy", max_age=60) == "v1"  # still fresh
    now[0] = 60.0
    assert store.get("/govbot/policy", max_age=60) == "v2"
    assert made == ["ssm"]


def test_parameter_store_names_a_missing_parameter(session: boto3.session.Session) -> None:
    store = ParameterStore(lambda: session.client("ssm"))

    with pytest.raises(
        ParameterError, match="/govbot/nope: GetParameter failed with ParameterNotFound"
    ):
        store.get("/govbot/nope", max_age=0)


def test_sqs_queue_sends_json_bodies(session: boto3.session.Session) -> None:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="work")["QueueUrl"]

    message_id = SqsQueue(url, lambda: session.client("sqs")).send_json({"a": 1})

    (received,) = sqs.receive_message(QueueUrl=url)["Messages"]
    assert received["MessageId"] == message_id
    assert json.loads(received["Body"]) == {"a": 1}


def test_sqs_queue_error_names_the_queue_and_code(session: boto3.session.Session) -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/123456789012/missing"

    with pytest.raises(QueueSendError, match="missing failed with") as raised:
        SqsQueue(url, lambda: session.client("sqs")).send_json({})

    assert raised.value.code


def test_caller_account_is_the_credentials_account(session: boto3.session.Session) -> None:
    assert caller_account(session.client("sts")) == "123456789012"


def test_stream_reader_lists_outbox_inserts_of_the_ledger(session: boto3.session.Session) -> None:
    ddb = session.client("dynamodb")
    create_ledger_table(ddb, "ledger")
    ledger = Ledger("ledger", client=ddb)
    ledger.add_outbox(
        [
            OutboxItem(
                outbox_id=f"o-{i}",
                message_kind="violation_audit",
                severity="high",
                payload={"n": i},
            )
            for i in range(3)
        ]
    )
    # moto answers the regional Streams endpoint, not the account-based one.
    streams = session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    arn = ddb.describe_table(TableName="ledger")["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    first = shard["SequenceNumberRange"]["StartingSequenceNumber"]

    ids = DynamoStreamReader(client_factory=lambda: streams).outbox_ids(
        arn, shard["ShardId"], first, str(int(first) + 10**6)
    )

    assert ids == ["o-0", "o-1", "o-2"]
