"""create_ledger_table builds the table docs/architecture.md describes."""

from __future__ import annotations

from typing import Any

from govbot.ledger.schema import INDEXES
from tests.integration.ledger.conftest import TABLE


def test_table_has_keys_indexes_stream_and_ttl(ddb: Any) -> None:
    table = ddb.describe_table(TableName=TABLE)["Table"]

    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    gsis = {
        g["IndexName"]: (
            [k["AttributeName"] for k in g["KeySchema"]],
            g["Projection"]["ProjectionType"],
        )
        for g in table["GlobalSecondaryIndexes"]
    }
    assert gsis == {
        "by-image": (["image_arn", "ts"], "ALL"),
        "by-account": (["shared_account_id", "ts"], "ALL"),
        "by-time": (["day", "ts"], "ALL"),
        "by-status": (["status_key", "ts"], "ALL"),
    }
    assert len(INDEXES) == 4
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
