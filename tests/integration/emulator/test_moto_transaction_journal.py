"""The sandbox's journaled TransactWriteItems does what moto's table-copying one does.

Each scenario runs twice on a fresh moto: once with moto's own implementation, once with
the sandbox's; the table afterwards, every stream record kept and every error (code and
cancellation reasons) must be the same, and a cancelled transaction must leave the table
exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from govbot.ledger import create_ledger_table
from govbot_sandbox import moto_transactions

REGION = "us-east-1"
TABLE = "ledger"


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}}


def _put(pk: str, condition: str | None = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": TABLE, "Item": {**_key(pk), "n": {"N": "1"}}, **extra}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def _update(pk: str, expression: str, condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "TableName": TABLE,
        "Key": _key(pk),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": {":v": {"N": "5"}},
    }
    if condition:
        op["ConditionExpression"] = condition
    return {"Update": op}


def _delete(pk: str) -> dict[str, Any]:
    return {"Delete": {"TableName": TABLE, "Key": _key(pk)}}


def _check(pk: str, condition: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {"TableName": TABLE, "Key": _key(pk), "ConditionExpression": condition}
    }


ABSENT = "attribute_not_exists(pk)"
PRESENT = "attribute_exists(pk)"

SCENARIOS: dict[str, list[list[dict[str, Any]]]] = {
    "committed": [[_put("c"), _update("a", "SET n = n + :v"), _delete("b")]],
    "cancelled by a condition check": [
        [_put("d"), _update("a", "SET n = :v"), _delete("b"), _check("zz", PRESENT)]
    ],
    "cancelled put, old item returned": [
        [
            _update("a", "SET m = :v"),
            _put("b", ABSENT, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        ]
    ],
    "update creating an item, then cancelled": [
        [_update("new", "SET n = :v"), _update("a", "SET n = :v", condition=ABSENT)]
    ],
    "two operations on one item": [[_put("e"), _update("e", "SET n = :v")]],
    "one committed, one cancelled, one committed": [
        [_put("f")],
        [_put("g"), _delete("a"), _put("f", ABSENT)],
        [_delete("a"), _update("b", "SET n = n + :v")],
    ],
}


def _scan(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: i["pk"]["S"])


def _run(transactions: list[list[dict[str, Any]]]) -> dict[str, Any]:
    with mock_aws():
        client: Any = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(client, TABLE)
        for pk in ("a", "b"):
            client.put_item(TableName=TABLE, Item={**_key(pk), "n": {"N": "1"}})
        errors: list[Any] = []
        scans = [_scan(client)]  # before the first transaction, then after each
        for items in transactions:
            try:
                client.transact_write_items(TransactItems=items)
                errors.append(None)
            except ClientError as error:
                response = error.response
                errors.append((response["Error"]["Code"], response.get("CancellationReasons")))
            scans.append(_scan(client))
        stream_arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        (shard,) = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = [
            (r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"])
            for r in streams.get_records(ShardIterator=iterator)["Records"]
        ]
        return {"errors": errors, "scans": scans, "records": records}


def _with(implementation: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", implementation)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_journal_matches_moto_on_tables_and_errors(name: str, monkeypatch) -> None:
    transactions = SCENARIOS[name]
    _with(moto_transactions.moto_transact_write_items, monkeypatch)
    expected = _run(transactions)
    _with(moto_transactions.transact_write_items, monkeypatch)
    actual = _run(transactions)

    assert actual["errors"] == expected["errors"]
    assert actual["scans"] == expected["scans"]


@pytest.mark.parametrize("name", [name for name in SCENARIOS if name != "committed"])
def test_a_cancelled_transaction_leaves_the_table_and_stream_as_they_were(
    name: str, monkeypatch
) -> None:
    _with(moto_transactions.transact_write_items, monkeypatch)
    transactions = SCENARIOS[name]
    result = _run(transactions)
    committed = [
        items for items, error in zip(transactions, result["errors"], strict=True) if error is None
    ]
    alone = _run(committed)  # the same history without the cancelled transactions

    assert any(error is not None for error in result["errors"])
    assert result["scans"][-1] == alone["scans"][-1]
    assert result["records"] == alone["records"]
    for before, after, error in zip(
        result["scans"][:-1], result["scans"][1:], result["errors"], strict=True
    ):
        if error is not None:
            assert after == before


def test_the_sandbox_installs_the_journal() -> None:
    assert DynamoDBBackend.transact_write_items is moto_transactions.transact_write_items
