"""Shared plumbing of the ledger gateway: client, clock, conditional puts, paginated queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from govbot.clock import utcnow
from govbot.gateways.retries import RetrySettings, install_retries
from govbot.ledger.codec import KINDS, encode, record_from_item
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.keys import ensure_utc, format_ts
from govbot.ledger.records import LedgerRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Clock = Callable[[], datetime]
# A record with a ``version`` field written by ``_put_versioned`` (copy jobs, sweep state).
Versioned = TypeVar("Versioned", bound=LedgerRecord)

# Throttling and transient faults are retried by botocore's conditions, without its quota:
# standard mode, its handler then swapped for govbot.gateways.retries' quota-free one.
RETRY_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 8})
LEDGER_RETRIES = RetrySettings(max_attempts=8, base_seconds=0.05, cap_seconds=2.0)
NOT_EXISTS = "attribute_not_exists(pk)"


def error_code(exc: ClientError) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_condition_failure(exc: ClientError) -> bool:
    """True for a failed ConditionExpression (an expected outcome where idempotency rules)."""
    return error_code(exc) == "ConditionalCheckFailedException"


def ts_condition(start: datetime | None, end: datetime | None) -> tuple[str, dict[str, str]]:
    """Sort-key condition on ``ts`` for an inclusive ``[start, end]`` range (either open).

    >>> ts_condition(None, None)
    ('', {})
    """
    if start is not None and end is not None:
        if ensure_utc(end) < ensure_utc(start):
            raise ValueError(f"time range is reversed: start {start} is after end {end}")
        return " AND #ts BETWEEN :start AND :end", {
            ":start": format_ts(start),
            ":end": format_ts(end),
        }
    if start is not None:
        return " AND #ts >= :start", {":start": format_ts(start)}
    if end is not None:
        return " AND #ts <= :end", {":end": format_ts(end)}
    return "", {}


def kinds_filter(kinds: Iterable[str] | None) -> tuple[str | None, dict[str, str]]:
    """FilterExpression keeping only the given item kinds (None: keep all)."""
    if kinds is None:
        return None, {}
    wanted = sorted(set(kinds))
    unknown = [k for k in wanted if k not in KINDS]
    if unknown or not wanted:
        raise ValueError(
            f"unknown ledger kinds {unknown or wanted}; expected some of {sorted(KINDS)}"
        )
    values = {f":kind{i}": kind for i, kind in enumerate(wanted)}
    return f"#kind IN ({', '.join(values)})", values


class LedgerCore:
    """Client, clock and low-level helpers shared by the ledger's capability mixins."""

    def __init__(
        self,
        table_name: str,
        *,
        client: DynamoDBClient | None = None,
        session: Any = None,
        retention_days: int = 400,
        clock: Clock | None = None,
    ) -> None:
        if not table_name:
            raise ValueError("table_name must not be empty (set LEDGER_TABLE_NAME)")
        if retention_days < 1:
            raise ValueError(f"retention_days must be >= 1, got {retention_days}")
        self.table_name = table_name
        self.retention_days = retention_days
        self._client = client
        # The process's one boto3 Session (the composition root's); None: boto3's default.
        self._session = session
        self._clock: Clock = clock or utcnow
        # Items per Query page; None lets DynamoDB fill 1 MB pages (tests lower it).
        self.page_size: int | None = None

    @property
    def client(self) -> DynamoDBClient:
        """The low-level DynamoDB client, created on first use (never at import time)."""
        if self._client is None:
            maker = self._session if self._session is not None else boto3
            self._client = maker.client("dynamodb", config=RETRY_CONFIG)
            install_retries(self._client, LEDGER_RETRIES)
        return self._client

    def now(self) -> datetime:
        """The ledger clock's current time (aware UTC, millisecond precision)."""
        return ensure_utc(self._clock())

    def _encode(self, record: LedgerRecord) -> dict[str, Any]:
        return encode(record, retention_days=self.retention_days)

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def _put_new(self, record: LedgerRecord) -> bool:
        """Conditional put; False when an item with the same key already exists."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=self._encode(record.stamped(self.now())),
                ConditionExpression=NOT_EXISTS,
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def _put(self, record: LedgerRecord) -> LedgerRecord:
        """Unconditional put (upsert) of a stamped record; returns what was stored."""
        stamped = record.stamped(self.now())
        self.client.put_item(TableName=self.table_name, Item=self._encode(stamped))
        return stamped

    def _put_versioned(
        self, record: Versioned, expected_version: int | None, what: str
    ) -> Versioned:
        """Optimistic put: write ``record`` as ``version = expected_version + 1`` if the
        stored version is still ``expected_version`` (``None``: it must not exist yet).

        Returns what was stored; raises :class:`ConcurrentUpdate` naming ``what`` when
        another writer got there first.
        """
        new_version = 1 if expected_version is None else expected_version + 1
        stored = record.model_copy(update={"version": new_version}).stamped(self.now())
        params: dict[str, Any] = {"TableName": self.table_name, "Item": self._encode(stored)}
        if expected_version is None:
            params["ConditionExpression"] = NOT_EXISTS
        else:
            params["ConditionExpression"] = "#version = :expected"
            params["ExpressionAttributeNames"] = {"#version": "version"}
            params["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        try:
            self.client.put_item(**params)
        except ClientError as exc:
            if is_condition_failure(exc):
                expected = "absent" if expected_version is None else f"v{expected_version}"
                raise ConcurrentUpdate(
                    f"{what} changed under us (expected {expected}); re-read it and retry"
                ) from exc
            raise
        return stored

    def _get(self, pk: str, sk: str) -> LedgerRecord | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=self._key(pk, sk), ConsistentRead=True
        )
        item = response.get("Item")
        return record_from_item(item) if item else None

    def _query(
        self,
        *,
        key_condition: str,
        names: dict[str, str],
        values: dict[str, str],
        index: str | None = None,
        filter_expression: str | None = None,
        limit: int | None = None,
    ) -> Iterator[LedgerRecord]:
        """Run one Query to exhaustion (or ``limit`` records), oldest ``ts``/lowest sk first."""
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: {"S": v} for k, v in values.items()},
        }
        if index is None:
            params["ConsistentRead"] = True  # GSIs cannot read consistently; the base table can
        else:
            params["IndexName"] = index
        if filter_expression:
            params["FilterExpression"] = filter_expression
        if self.page_size is not None:
            params["Limit"] = self.page_size
        produced = 0
        while True:
            page = self.client.query(**params)
            for item in page.get("Items", []):
                if limit is not None and produced >= limit:
                    return
                kind = item.get("kind", {}).get("S")
                if kind not in KINDS:
                    continue  # items of another family sharing the partition
                produced += 1
                yield record_from_item(item)
            last_key = page.get("LastEvaluatedKey")
            if not last_key or (limit is not None and produced >= limit):
                return
            params["ExclusiveStartKey"] = last_key
