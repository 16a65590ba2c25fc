"""``govbot ledger ...`` against a moto table written through the Ledger API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from govbot import wiring
from govbot.ledger import (
    DecisionRecord,
    EventRecord,
    Ledger,
    OutboxItem,
    create_ledger_table,
)
from govbot.ledger.records.inputs import OutcomeCommit
from govbot_cli import CliDeps
from govbot_cli.deps import default_ledger
from tests.unit.cli.runner import run_cli

TABLE = "govbot-ledger-cli"
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
ARN = "arn:aws:appstream:us-east-1:123456789012:image/prod-app"
GRANTEE = "999999999999"


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(client, TABLE)
        ledger = Ledger(TABLE, client=client, clock=lambda: NOW)
        yield ledger


def _story(ledger: Ledger) -> None:
    event = EventRecord(
        event_id="ev-1",
        event_name="UpdateImagePermissions",
        image_arn=ARN,
        shared_account_id=GRANTEE,
        occurred_at=NOW - timedelta(hours=1),
    )
    assert ledger.record_event(event)
    decision = DecisionRecord(
        event_id="ev-1",
        rule_id="no-untrusted-builders",
        account_id=GRANTEE,
        permission="image_builder",
        outcome="violation",
        mode="enforce",
        reason="untrusted builder",
        image_arn=ARN,
        decided_at=NOW - timedelta(minutes=59),
    )
    outbox = OutboxItem.new(
        "violation_remedied",
        "high",
        {"summary": "revoked builder", "image_arn": ARN, "rule_ids": ["no-untrusted-builders"]},
        discriminators=("ev-1",),
    )
    assert ledger.commit_outcome(OutcomeCommit("ev-1", decisions=[decision], outbox=[outbox]))
    ledger.record_rejected(reason="not an AppStream event", raw="{}", received_at=NOW)


def _deps() -> CliDeps:
    return CliDeps(ledger=default_ledger, now=lambda: NOW)


def test_ledger_commands_read_through_the_indexes(ledger: Ledger) -> None:
    _story(ledger)
    common = ("--table", TABLE, "--region", "us-east-1")

    image = run_cli("ledger", "image", ARN, *common, deps=_deps())
    assert image.code == 0, image.err
    kinds = [line.split()[2] for line in image.out.splitlines()[1:]]  # [0]: the header
    assert kinds == ["event", "decision", "outbox"]

    account = run_cli("ledger", "account", GRANTEE, *common, deps=_deps())
    assert [line.split()[2] for line in account.out.splitlines()[1:]] == ["event", "decision"]
    assert "violation/enforce" in account.out

    since = run_cli("ledger", "since", "30m", *common, deps=_deps())
    assert since.code == 0
    # Only what happened in the last 30 minutes: the outbox item and the rejected event.
    assert sorted(line.split()[2] for line in since.out.splitlines()[1:]) == ["event", "outbox"]
    assert "not an AppStream event" in since.out

    event = run_cli("ledger", "event", "ev-1", *common, "--json", deps=_deps())
    assert event.code == 0
    records = json.loads(event.out)
    assert [r["kind"] for r in records] == ["event", "decision"]
    assert records[0]["status"] == "processed"

    rejected = run_cli("ledger", "rejected", *common, deps=_deps())
    assert len(rejected.out.splitlines()) == 2  # header and the rejected event
    assert "rejected" in rejected.out

    pending = run_cli("ledger", "outbox", "pending", *common, deps=_deps())
    assert "violation_remedied [high] revoked builder" in pending.out
    assert "no-untrusted-builders" in pending.out
    delivered = run_cli("ledger", "outbox", "delivered", *common, deps=_deps())
    assert delivered.code == 0
    assert delivered.out == ""


def test_queries_never_scan(ledger: Ledger) -> None:
    _story(ledger)
    seen: list[str] = []
    # The CLI's clients come from the composition root's Session: record what it calls.
    session = boto3.session.Session()
    session.events.register("before-call.dynamodb.*", _record(seen))
    wiring.configure(session=session)
    try:
        for argv in (["image", ARN], ["account", GRANTEE], ["since", "2h"], ["rejected"]):
            assert run_cli("ledger", *argv, "--table", TABLE, deps=_deps()).code == 0
    finally:
        wiring.configure()
    assert seen
    assert set(seen) == {"Query"}


def _record(seen: list[str]) -> Callable[..., None]:
    def handler(model: object, **_: object) -> None:
        seen.append(str(getattr(model, "name", "")))

    return handler


def test_unknown_table_is_one_line_exit_2(ledger: Ledger) -> None:
    result = run_cli("ledger", "rejected", "--table", "nope", deps=_deps())
    assert result.code == 2
    assert result.err.startswith("govbot: error: cannot read ledger table 'nope':")
    assert len(result.err.strip().splitlines()) == 1
