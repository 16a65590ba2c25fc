"""The sandbox's keyed index sort gives moto's own query answers, page by page."""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from govbot_sandbox import moto_sorting

REGION = "us-east-1"


def _table(client: Any) -> None:
    client.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in (("pk", "S"), ("sk", "S"), ("g", "S"), ("n", "N"), ("s", "S"))
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": sort, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, sort in (("by-number", "n"), ("by-text", "s"))
        ],
    )


def _answers() -> list[Any]:
    """Every page of a set of index queries over items with ties, numbers and strings."""
    rng = random.Random(21)
    pages: list[Any] = []
    with mock_aws():
        client: Any = boto3.client("dynamodb", region_name=REGION)
        _table(client)
        for i in range(120):
            client.put_item(
                TableName="t",
                Item={
                    "pk": {"S": f"p{rng.randint(0, 9)}"},
                    "sk": {"S": f"{i:03d}"},
                    "g": {"S": rng.choice(["a", "b"])},
                    "n": {"N": str(rng.choice([-5, 0, 2, 10, 2.5, 100]))},
                    "s": {"S": rng.choice(["x", "X", "y", "2026-11-02T09", "2026-11-02T10"])},
                },
            )
        for index in ("by-number", "by-text"):
            for forward in (True, False):
                start: dict[str, Any] | None = None
                while True:
                    extra = {"ExclusiveStartKey": start} if start else {}
                    page = client.query(
                        TableName="t",
                        IndexName=index,
                        KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "a"}},
                        ScanIndexForward=forward,
                        Limit=7,
                        **extra,
                    )
                    pages.append([(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]])
                    start = page.get("LastEvaluatedKey")
                    if not start:
                        break
    return pages


def test_keyed_sort_answers_every_page_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Table, "sorted_items", moto_sorting.moto_sorted_items)
    expected = _answers()
    monkeypatch.setattr(Table, "sorted_items", moto_sorting.sorted_items)
    actual = _answers()

    assert sum(len(page) for page in expected) > 100  # both indexes, both directions
    assert actual == expected


def test_the_sandbox_installs_the_keyed_sort() -> None:
    import govbot_sandbox.sandbox  # noqa: F401 (installs it)

    assert Table.sorted_items is moto_sorting.sorted_items
