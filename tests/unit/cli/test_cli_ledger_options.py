"""``govbot ledger``'s ``--profile`` (documented, now accepted) and ``--now`` (a fast-clock
sandbox's records lie ahead of real time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govbot import wiring
from govbot.ledger import EventRecord
from govbot_cli import CliDeps
from tests.fakes import FakeLedger
from tests.unit.cli.runner import run_cli

NOW = datetime(2026, 11, 27, 16, tzinfo=UTC)
AHEAD = NOW + timedelta(days=3)  # the sandbox clock at --speed 60 after an hour or so


class EmptyDynamoDB:
    """Answers every by-time Query with no items; remembers that it was asked."""

    def __init__(self) -> None:
        self.queries = 0

    def query(self, **_: Any) -> dict[str, Any]:
        self.queries += 1
        return {"Items": [], "Count": 0}


class RecordingSession:
    def __init__(self) -> None:
        self.clients: list[tuple[str, str | None]] = []
        self.dynamodb = EmptyDynamoDB()

    def client(self, name: str, region_name: str | None = None, **_: Any) -> EmptyDynamoDB:
        self.clients.append((name, region_name))
        return self.dynamodb


def test_ledger_profile_reaches_the_dynamodb_client(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = {None: RecordingSession(), "audit": RecordingSession()}
    monkeypatch.setattr(wiring, "session", lambda profile=None: sessions[profile])
    result = run_cli(
        "ledger", "since", "2h", "--table", "t", "--region", "eu-west-1", "--profile", "audit",
        deps=CliDeps(now=lambda: NOW),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert sessions["audit"].clients == [("dynamodb", "eu-west-1")]
    assert sessions["audit"].dynamodb.queries >= 1
    assert sessions[None].clients == []


def test_ledger_since_counts_back_from_now_option() -> None:
    event = EventRecord(
        event_id="ev-ahead", event_name="UpdateImagePermissions", status="processed",
        occurred_at=AHEAD - timedelta(minutes=30),
    )  # fmt: skip
    fake = FakeLedger(records=[event])
    deps = CliDeps(ledger=fake.factory, now=lambda: NOW)
    real = run_cli("ledger", "since", "1h", "--table", "t", deps=deps)
    assert "ev-ahead" not in real.out  # capped at real now: the sandbox's record is "future"
    shifted = run_cli(
        "ledger", "since", "1h", "--table", "t", "--now", AHEAD.isoformat(), deps=deps
    )
    assert shifted.code == 0, shifted.err
    assert "ev-ahead" in shifted.out


def test_ledger_bad_now_is_one_clear_line() -> None:
    result = run_cli(
        "ledger", "since", "1h", "--table", "t", "--now", "tomorrow",
        deps=CliDeps(ledger=FakeLedger().factory, now=lambda: NOW),
    )  # fmt: skip
    assert result.code == 2
    assert "--now: expected an ISO-8601 time such as 2026-11-27T16:00:00Z, got 'tomorrow'" in (
        result.err
    )
    assert len(result.err.strip().splitlines()) == 1
