"""Outbox items the notifier can never render are rejected with their reason, not crashed on.

Real ledger on moto: the items are written as a producer (or a newer/older govbot, or a hand
edit) would leave them, the stream batch carries them as stored, and the notifier must mark
each bad item ``rejected`` (reason in ``last_error``), deliver the good ones in the same
batch, and report no batch failure (a retry could only fail the same way).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot.ledger.codec import encode
from govbot.ledger.gateway import Ledger
from govbot.ledger.records import OutboxItem
from govbot.ledger.records.details import SourceDeletedDetails
from govbot.ledger.records.payload import GoldenSourceDeleted
from govbot.ledger.schema import create_ledger_table
from govbot.notifier.delivery import NotifierDeps, deliver_stream_batch
from govbot.policy.models import Policy
from govbot.policy.sections import Route

T0 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
SOURCE = "arn:aws:appstream:us-east-1:111111111111:image/golden-web"


class Sent:
    """A sink that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def send(self, route: Route, body: dict[str, Any]) -> int:
        self.bodies.append(body)
        return 1

    def max_post_seconds(self) -> float:
        return 0.0


def _policy() -> Policy:
    return Policy.model_validate(
        {
            "version": 1,
            "mode": "enforce",
            "rules": [{"id": "builders", "type": "no_image_builder_for_untrusted"}],
            "notifications": {"routes": [{"name": "ops", "webhook": "ops"}]},
        }
    )


class Env:
    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(self.ddb, "ledger")
        self.ledger = Ledger("ledger", client=self.ddb, clock=lambda: T0)
        self.sink = Sent()
        self.deps = NotifierDeps(
            ledger=self.ledger,
            notifications=_policy().notifications,
            sink=self.sink,
            windows=self.ledger,
            clock=lambda: T0,
        )

    def put(self, item: OutboxItem, **overrides: dict[str, str]) -> dict[str, Any]:
        """Store ``item`` (attributes replaced by ``overrides``); return its stream record."""
        image = encode(item.stamped(T0), retention_days=400) | overrides
        self.ddb.put_item(TableName="ledger", Item=image)
        stored = self.ddb.get_item(TableName="ledger", Key={"pk": image["pk"], "sk": image["sk"]})
        return {
            "eventID": item.outbox_id,
            "eventName": "INSERT",
            "dynamodb": {"NewImage": stored["Item"], "SequenceNumber": "1"},
        }


@pytest.fixture
def env() -> Iterator[Env]:
    with mock_aws():
        yield Env()


def _good(n: int) -> OutboxItem:
    payload = GoldenSourceDeleted(
        image_arn=SOURCE, summary=f"source {n} deleted", details=SourceDeletedDetails(copies=[])
    )
    return OutboxItem.from_payload(payload, discriminators=(str(n),))


def test_bad_details_are_rejected_with_the_field_and_the_rest_of_the_batch_is_delivered(
    env: Env,
) -> None:
    bad = OutboxItem.new(
        "golden_source_deleted",
        "medium",
        {"image_arn": SOURCE, "details": {"copies": "not-a-list", "action": 7}},
        discriminators=("bad",),
    )
    records = [env.put(_good(1)), env.put(bad), env.put(_good(2))]
    assert deliver_stream_batch({"Records": records}, env.deps) == {"batchItemFailures": []}
    assert len(env.sink.bodies) == 2
    stored = env.ledger.get_outbox(bad.outbox_id)
    assert stored is not None
    assert stored.status == "rejected"
    assert stored.last_error == (
        f"outbox {bad.outbox_id}: invalid golden_source_deleted payload ("
        "details.copies: Input should be a valid list (got 'not-a-list'); "
        "details.action: Input should be a valid string (got 7))"
    )
    assert [i.outbox_id for i in env.ledger.outbox_by_status("rejected")] == [bad.outbox_id]
    # A redelivered stream record leaves it rejected: it is never retried or sent.
    assert deliver_stream_batch({"Records": [records[1]]}, env.deps) == {"batchItemFailures": []}
    assert len(env.sink.bodies) == 2


def test_an_unknown_kind_on_the_stored_item_is_rejected_not_crashed_on(env: Env) -> None:
    newer = _good(3)
    record = env.put(
        newer,
        message_kind={"S": "violation_maybe"},
        payload={"S": '{"message_kind": "violation_maybe", "details": {}}'},
    )
    assert deliver_stream_batch({"Records": [record, env.put(_good(4))]}, env.deps) == {
        "batchItemFailures": []
    }
    assert len(env.sink.bodies) == 1  # the good one
    raw = env.ddb.get_item(
        TableName="ledger", Key={"pk": {"S": f"OUTBOX#{newer.outbox_id}"}, "sk": {"S": "OUTBOX"}}
    )["Item"]
    assert raw["status"] == {"S": "rejected"}
    assert raw["status_key"] == {"S": "OUTBOX#rejected"}
    error = raw["last_error"]["S"]
    # The item is stored (its kind is a name); the notifier finds no KindSpec for it.
    assert error.startswith(
        f"outbox {newer.outbox_id}: field 'message_kind' is 'violation_maybe', expected one of "
    )
    assert "violation_remedied, violation_audit" in error


def test_a_stream_image_that_is_not_an_outbox_item_still_fails_its_record(env: Env) -> None:
    record = env.put(_good(5), pk={"S": "EVENT#x"}, kind={"S": "mystery"})
    result = deliver_stream_batch({"Records": [record]}, env.deps)
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}
