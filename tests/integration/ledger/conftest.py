"""A moto-backed ledger table, a controllable clock and a client that logs every call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot.ledger import Ledger, create_ledger_table
from tests.fakes import FakeClock

TABLE = "govbot-ledger-test"
START = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


class RecordingClient:
    """Wraps a real boto3 client and remembers which operations (with params) were called."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr) or name.startswith("get_paginator") or name == "get_waiter":
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return attr(*args, **kwargs)

        return call

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(scope="session")
def _session() -> boto3.session.Session:
    # One session: its loaded service model is reused, which keeps each test fast.
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def ddb(_session: boto3.session.Session) -> Iterator[Any]:
    with mock_aws():
        client = _session.client("dynamodb")
        create_ledger_table(client, TABLE)
        yield client


@pytest.fixture
def recording(ddb: Any) -> RecordingClient:
    return RecordingClient(ddb)


@pytest.fixture
def ledger(recording: RecordingClient, clock: FakeClock) -> Ledger:
    return Ledger(TABLE, client=recording, retention_days=30, clock=clock)  # type: ignore[arg-type]


def raw_item(ddb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    """The stored item exactly as DynamoDB holds it (typed attribute values)."""
    item: dict[str, Any] | None = ddb.get_item(
        TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}
    ).get("Item")
    return item


def count_items(ddb: Any) -> int:
    """Test-only inventory of the whole table (a Scan is fine here, never in the ledger)."""
    return int(ddb.scan(TableName=TABLE, Select="COUNT")["Count"])
