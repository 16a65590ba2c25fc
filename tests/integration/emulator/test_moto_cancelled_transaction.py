"""The sandbox's moto: a cancelled transaction streams nothing, and readers keep reading."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

import govbot_sandbox.moto_transactions  # noqa: F401 (the behaviour under test)
from govbot.ledger import create_ledger_table

REGION = "us-east-1"
TABLE = "ledger"


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(dynamodb, TABLE)
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        yield dynamodb, streams, iterator


def _put(pk: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": "X"}}}}


def test_a_cancelled_transaction_streams_nothing_and_the_reader_sees_what_follows(
    clients,
) -> None:
    dynamodb, streams, iterator = clients
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "X"}})
    absent = {"ConditionExpression": "attribute_not_exists(pk)"}
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[_put("b"), {"Put": {**_put("a")["Put"], **absent}}]
        )
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "c"}, "sk": {"S": "X"}})

    records = streams.get_records(ShardIterator=iterator)["Records"]

    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["a", "c"]
    assert "Item" not in dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": "b"}, "sk": {"S": "X"}}
    )
