"""``govbot ledger ... --limit N`` counts the records shown, after --until/--kind/--rule.

Against a moto table written through the Ledger API: records the filters drop must not use
up the limit, and ``--until`` bounds the index query itself (later records are never read).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot import wiring
from govbot.ledger import DecisionRecord, EventRecord, Ledger, create_ledger_table, format_ts
from govbot.ledger.records.inputs import OutcomeCommit
from govbot_cli import CliDeps
from govbot_cli.deps import default_ledger
from tests.unit.cli.runner import run_cli

TABLE = "govbot-ledger-limits"
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
ARN = "arn:aws:appstream:us-east-1:123456789012:image/prod-app"
GRANTEE = "999999999999"
COMMON = ("--table", TABLE, "--region", "us-east-1")


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(client, TABLE)
        yield Ledger(TABLE, client=client, clock=lambda: NOW)


def _hour(n: int) -> datetime:
    """``n`` hours before NOW."""
    return NOW - timedelta(hours=n)


def _history(ledger: Ledger) -> None:
    """Ten events (hours 10..1 ago) about the image; the last three each have a decision
    of rule ``late-rule`` one minute later."""
    for n in range(10, 0, -1):
        event_id = f"ev-{n:02d}"
        ledger.record_event(
            EventRecord(
                event_id=event_id,
                event_name="UpdateImagePermissions",
                image_arn=ARN,
                shared_account_id=GRANTEE,
                occurred_at=_hour(n),
            )
        )
        if n <= 3:
            decision = DecisionRecord(
                event_id=event_id,
                rule_id="late-rule",
                account_id=GRANTEE,
                permission="fleet",
                outcome="violation",
                mode="audit",
                reason="untrusted fleet",
                image_arn=ARN,
                decided_at=_hour(n) + timedelta(minutes=1),
            )
            assert ledger.commit_outcome(OutcomeCommit(event_id, decisions=[decision], outbox=[]))


def _deps() -> CliDeps:
    return CliDeps(ledger=default_ledger, now=lambda: NOW)


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()[1:]]  # [0]: the header


def test_kind_and_rule_filters_do_not_use_up_the_limit(ledger: Ledger) -> None:
    _history(ledger)
    decisions = run_cli(
        "ledger", "image", ARN, *COMMON, "--kind", "decision", "--limit", "2", deps=_deps()
    )
    assert decisions.code == 0, decisions.err
    # The 10 events come first in the index; the two oldest decisions are still shown.
    assert [(r[0], r[2]) for r in _rows(decisions.out)] == [
        (format_ts(_hour(3) + timedelta(minutes=1)), "decision"),
        (format_ts(_hour(2) + timedelta(minutes=1)), "decision"),
    ]
    by_rule = run_cli(
        "ledger", "account", GRANTEE, *COMMON, "--rule", "late-rule", "--limit", "3", deps=_deps()
    )
    assert len(_rows(by_rule.out)) == 3
    assert {r[4] for r in _rows(by_rule.out)} == {"late-rule"}


def test_until_with_a_limit_shows_up_to_limit_records_at_or_before_it(ledger: Ledger) -> None:
    _history(ledger)
    until = _hour(2)
    shown = run_cli(
        "ledger", "image", ARN, *COMMON, "--kind", "decision", "--until", format_ts(until),
        "--limit", "5", deps=_deps(),
    )  # fmt: skip
    assert shown.code == 0, shown.err
    # Decisions at 3h and 2h before NOW (+1 min): only the first is at or before --until.
    assert [r[0] for r in _rows(shown.out)] == [format_ts(_hour(3) + timedelta(minutes=1))]
    events = run_cli(
        "ledger", "image", ARN, *COMMON, "--until", format_ts(_hour(8)), "--limit", "2",
        deps=_deps(),
    )  # fmt: skip
    assert [(r[0], r[1]) for r in _rows(events.out)] == [
        (format_ts(_hour(10)), "ev-10"),
        (format_ts(_hour(9)), "ev-09"),
    ]


def test_until_bounds_the_index_query_itself(ledger: Ledger) -> None:
    _history(ledger)
    queries: list[dict[str, Any]] = []
    session = boto3.session.Session()

    def keep(params: dict[str, Any], **_: Any) -> None:
        queries.append(params)

    session.events.register("provide-client-params.dynamodb.Query", keep)
    wiring.configure(session=session)
    try:
        until = format_ts(_hour(5))
        result = run_cli(
            "ledger", "account", GRANTEE, *COMMON, "--until", until, "--limit", "50",
            deps=_deps(),
        )  # fmt: skip
    finally:
        wiring.configure()
    assert result.code == 0, result.err
    assert [r[1] for r in _rows(result.out)] == [f"ev-{n:02d}" for n in range(10, 4, -1)]
    (query,) = queries
    assert "#ts" in query["KeyConditionExpression"]
    assert until in str(query["ExpressionAttributeValues"])
