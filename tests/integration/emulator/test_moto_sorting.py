"""The sandbox's keyed sorts give moto's own query and scan answers, page by page."""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from govbot_sandbox import moto_sorting

REGION = "us-east-1"
MAX_PAGES = 60  # 120 items in pages of 7 or 11


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
                for _page in range(MAX_PAGES):  # a wrong order never ends: fail instead
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
                else:
                    raise AssertionError(f"{index} paging did not end in {MAX_PAGES} pages")
        # The base table: a partition forwards and backwards, then the whole table scanned.
        for forward in (True, False):
            pages.append(
                [
                    item["sk"]["S"]
                    for item in client.query(
                        TableName="t",
                        KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "p3"}},
                        ScanIndexForward=forward,
                    )["Items"]
                ]
            )
        start = None
        for _page in range(MAX_PAGES):
            extra = {"ExclusiveStartKey": start} if start else {}
            page = client.scan(TableName="t", Limit=11, **extra)
            pages.append([(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        else:
            raise AssertionError(f"scan paging did not end in {MAX_PAGES} pages")
    return pages


def test_keyed_sort_answers_every_page_as_moto_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Table, "sorted_items", moto_sorting.moto_sorted_items)
    monkeypatch.setattr(Table, "all_items", moto_sorting.moto_all_items)
    expected = _answers()
    monkeypatch.setattr(Table, "sorted_items", moto_sorting.sorted_items)
    monkeypatch.setattr(Table, "all_items", moto_sorting.all_items)
    actual = _answers()

    assert sum(len(page) for page in expected) > 220  # indexes, partition, whole-table scan
    assert actual == expected


def test_the_sandbox_installs_the_keyed_sort() -> None:
    import govbot_sandbox.sandbox  # noqa: F401 (installs it)

    assert Table.sorted_items is moto_sorting.sorted_items
    assert Table.all_items is moto_sorting.all_items
