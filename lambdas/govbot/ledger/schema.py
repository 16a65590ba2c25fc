"""The ledger table definition, one source for the sandbox, the tests and (by reading the
constants) the infra construct. Mirrors "Ledger table" in ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NamedTuple

from govbot.ledger.keys import BY_ACCOUNT, BY_IMAGE, BY_STATUS, BY_TIME

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"
TTL_ATTRIBUTE: Final = "expires_at"


class IndexSpec(NamedTuple):
    """A GSI: name, partition key attribute, sort key attribute (all strings, projection ALL)."""

    name: str
    partition_key: str
    sort_key: str


INDEXES: Final[tuple[IndexSpec, ...]] = (
    IndexSpec(BY_IMAGE, "image_arn", "ts"),
    IndexSpec(BY_ACCOUNT, "shared_account_id", "ts"),
    IndexSpec(BY_TIME, "day", "ts"),
    IndexSpec(BY_STATUS, "status_key", "ts"),
)
INDEX_BY_NAME: Final[dict[str, IndexSpec]] = {spec.name: spec for spec in INDEXES}


def table_definition(name: str) -> dict[str, Any]:
    """The CreateTable request for the ledger (on-demand, stream NEW_AND_OLD_IMAGES).

    KMS, PITR and deletion protection are deployment concerns left to the CDK construct.
    """
    attributes = sorted(
        {PARTITION_KEY, SORT_KEY} | {a for s in INDEXES for a in (s.partition_key, s.sort_key)}
    )
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": spec.name,
                "KeySchema": [
                    {"AttributeName": spec.partition_key, "KeyType": "HASH"},
                    {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for spec in INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def create_ledger_table(client: DynamoDBClient, name: str) -> str:
    """Create the ledger table (and its TTL) with ``client``; return the table's stream ARN.

    Meant for moto and the sandbox: waits until the table is ACTIVE.
    """
    response = client.create_table(**table_definition(name))
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return response["TableDescription"].get("LatestStreamArn", "")
