"""``govbot ledger ...`` with an in-memory ledger reader (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from govbot.ledger import (
    ActionRecord,
    CopyJob,
    DecisionRecord,
    EventRecord,
    ExemptionRecord,
    OutboxItem,
)
from govbot_cli import CliDeps
from tests.fakes import FakeLedger
from tests.unit.cli.runner import run_cli

NOW = datetime(2026, 11, 27, 16, tzinfo=UTC)
ARN = "arn:aws:appstream:us-east-1:123456789012:image/prod-app"
GRANTEE = "999999999999"

EVENT = EventRecord(
    event_id="ev-1",
    event_name="UpdateImagePermissions",
    status="processed",
    image_arn=ARN,
    shared_account_id=GRANTEE,
    occurred_at=NOW - timedelta(minutes=5),
)
DECISION = DecisionRecord(
    event_id="ev-1",
    rule_id="no-untrusted-builders",
    account_id=GRANTEE,
    permission="image_builder",
    outcome="violation",
    mode="enforce",
    reason="account 999999999999 holds image_builder permission but is not trusted",
    image_arn=ARN,
    decided_at=NOW - timedelta(minutes=4),
)
ACTION = ActionRecord(
    event_id="ev-1",
    seq=1,
    operation="UpdateImagePermissions",
    request={"SharedAccountId": GRANTEE},
    status="failed",
    error="LimitExceededException",
    shared_account_id=GRANTEE,
    recorded_at=NOW - timedelta(minutes=3),
)
OUTBOX = OutboxItem(
    outbox_id="ob-1",
    message_kind="violation_remedied",
    severity="high",
    payload={
        "summary": "revoked builder",
        "rule_ids": ["no-untrusted-builders"],
        "shared_account_ids": [GRANTEE],
        "image_arn": ARN,
    },
    created_at=NOW - timedelta(minutes=2),
)
REJECTED = EventRecord(
    event_id="REJECTED#abc", status="rejected", reason="not JSON", received_at=NOW
)


def _deps(fake: FakeLedger) -> CliDeps:
    return CliDeps(ledger=fake.factory, now=lambda: NOW)


def test_image_history_one_line_per_record() -> None:
    fake = FakeLedger(records=[EVENT, DECISION, OUTBOX])
    result = run_cli("ledger", "image", ARN, "--table", "t1", "--region", "eu-west-1",
                     deps=_deps(fake))  # fmt: skip
    assert result.code == 0, result.err
    assert fake.built_with == [("t1", "eu-west-1")]
    assert fake.queries == [("by_image", ARN, 100)]
    header, *lines = result.out.splitlines()
    assert header.split() == ["TIME", "EVENT", "ID", "KIND", "STATUS", "RULE", "ACCOUNT", "SUMMARY"]
    assert len(lines) == 3
    assert lines[0].split()[:3] == ["2026-11-27T15:55:00.000Z", "ev-1", "event"]
    assert "processed" in lines[0]
    assert "UpdateImagePermissions" in lines[0]
    assert lines[1].split()[:6] == [
        "2026-11-27T15:56:00.000Z", "ev-1", "decision", "violation/enforce",
        "no-untrusted-builders", GRANTEE,
    ]  # fmt: skip
    assert "image_builder: account 999999999999 holds" in lines[1]
    assert "violation_remedied [high] revoked builder" in lines[2]
    assert "pending" in lines[2]


def test_filters_until_rule_kind_and_endpoint() -> None:
    fake = FakeLedger(records=[EVENT, DECISION, ACTION, OUTBOX])
    result = run_cli(
        "ledger", "since", "1h", "--table", "t", "--endpoint-url", "http://127.0.0.1:9",
        "--rule", "no-untrusted-builders", "--until", "2026-11-27T15:57:00Z", deps=_deps(fake),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert fake.built_with == [("t", None, "http://127.0.0.1:9")]
    rows = result.out.splitlines()[1:]
    assert [r.split()[2] for r in rows] == ["decision"]  # outbox is after --until
    kind = run_cli("ledger", "since", "1h", "--table", "t", "--kind", "action", deps=_deps(fake))
    (row,) = kind.out.splitlines()[1:]
    # A request summary, not raw JSON.
    assert "UpdateImagePermissions - 999999999999 error: LimitExceededException" in row
    assert "{" not in row


def test_action_summary_shows_before_and_after() -> None:
    action = ACTION.model_copy(
        update={
            "image_arn": ARN,
            "status": "succeeded",
            "error": None,
            "request": {
                "SharedAccountId": GRANTEE,
                "before": {"allow_fleet": True, "allow_image_builder": True},
                "after": {"allow_fleet": True, "allow_image_builder": False},
                "rule_ids": ["no-untrusted-builders"],
            },
        }
    )
    result = run_cli(
        "ledger", "image", ARN, "--table", "t", deps=_deps(FakeLedger(records=[action]))
    )
    assert "UpdateImagePermissions prod-app 999999999999: fleet,builder -> fleet" in result.out
    assert "no-untrusted-builders" in result.out


def test_exemptions_list_show_revoke() -> None:
    fake = FakeLedger()
    for exemption_id, days in (("x-soon", 3), ("x-gone", -1)):
        fake.exemptions[exemption_id] = ExemptionRecord(
            exemption_id=exemption_id, image_arn=ARN, account_id=GRANTEE, reason="demo",
            approver="U1", expires_at=NOW + timedelta(days=days), granted_at=NOW,
        )  # fmt: skip
    listed = run_cli("ledger", "exemptions", "list", "--table", "t", deps=_deps(fake))
    assert listed.code == 0, listed.err
    assert listed.out.splitlines()[0].split()[:3] == ["EXEMPTION", "ID", "STATUS"]
    rows = {row.split()[0]: row.split()[1] for row in listed.out.splitlines()[1:]}
    assert rows == {"x-soon": "active", "x-gone": "lapsed"}
    shown = run_cli("ledger", "exemptions", "show", "x-soon", "--table", "t", "--json",
                    deps=_deps(fake))  # fmt: skip
    assert json.loads(shown.out)[0]["exemption_id"] == "x-soon"
    revoked = run_cli("ledger", "exemptions", "revoke", "x-soon", "--table", "t", deps=_deps(fake))
    assert revoked.code == 0, revoked.err
    assert fake.exemptions["x-soon"].status == "revoked"
    again = run_cli("ledger", "exemptions", "revoke", "x-soon", "--table", "t", deps=_deps(fake))
    assert again.code == 2
    assert again.err.strip() == "govbot: error: exemption 'x-soon' is already revoked"
    missing = run_cli("ledger", "exemptions", "show", "nope", "--table", "t", deps=_deps(fake))
    assert missing.code == 2
    assert missing.err.strip() == "govbot: error: no exemption 'nope' in ledger table 't'"


def test_account_history_uses_env_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_TABLE_NAME", "from-env")
    fake = FakeLedger(records=[DECISION, ACTION])
    result = run_cli("ledger", "account", GRANTEE, "--limit", "5", deps=_deps(fake))
    assert result.code == 0
    assert fake.built_with == [("from-env", None)]
    assert fake.queries == [("by_account", GRANTEE, 5)]
    assert "UpdateImagePermissions" in result.out
    assert "error: LimitExceededException" in result.out


def test_since_queries_the_time_window() -> None:
    fake = FakeLedger(records=[EVENT])
    result = run_cli("ledger", "since", "2h", "--table", "t", deps=_deps(fake))
    assert result.code == 0
    assert fake.queries == [("by_time", NOW - timedelta(hours=2), NOW, 100)]


def test_event_prints_event_decisions_actions() -> None:
    fake = FakeLedger(records=[EVENT, DECISION, ACTION, REJECTED, OUTBOX])
    result = run_cli("ledger", "event", "ev-1", "--table", "t", deps=_deps(fake))
    assert result.code == 0
    kinds = [line.split()[2] for line in result.out.splitlines()[1:]]
    assert kinds == ["event", "decision", "action"]


def test_unknown_event_exits_1() -> None:
    fake = FakeLedger(records=[EVENT, DECISION, ACTION])
    result = run_cli("ledger", "event", "nope", "--table", "t", deps=_deps(fake))
    assert result.code == 1
    assert result.out == ""
    assert result.err.strip() == "no event 'nope' in ledger table 't'"


def test_rejected_and_outbox() -> None:
    fake = FakeLedger(records=[EVENT, REJECTED, OUTBOX])
    rejected = run_cli("ledger", "rejected", "--table", "t", deps=_deps(fake))
    assert rejected.code == 0
    assert "rejected" in rejected.out
    assert "not JSON" in rejected.out
    pending = run_cli("ledger", "outbox", "pending", "--table", "t", "--json", deps=_deps(fake))
    assert pending.code == 0
    data = json.loads(pending.out)
    assert data[0]["kind"] == "outbox"
    assert data[0]["outbox_id"] == "ob-1"
    assert data[0]["ts"] == "2026-11-27T15:58:00.000Z"
    assert ("events_by_status", "rejected", 100) in fake.queries
    assert ("outbox_by_status", "pending", 100) in fake.queries


def test_other_families_render() -> None:
    exemption = ExemptionRecord(
        exemption_id="x1", image_arn=ARN, account_id=GRANTEE, reason="demo", approver="U1",
        expires_at=NOW + timedelta(days=1), granted_at=NOW,
    )  # fmt: skip
    job = CopyJob(
        source_arn=ARN, destination_region="eu-west-1", destination_name="prod-app",
        state="failed", last_reason="IMAGE_COPY_FAILURE", created_at=NOW,
    )  # fmt: skip
    result = run_cli(
        "ledger", "image", ARN, "--table", "t", deps=_deps(FakeLedger(records=[exemption, job]))
    )
    assert "exemption active" in " ".join(result.out.split())
    assert "approved by U1: demo" in result.out
    assert f"copy {ARN} -> eu-west-1/prod-app: IMAGE_COPY_FAILURE" in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["image", "not-an-arn"], "ARN: expected an image ARN"),
        (["account", "123"], "ID: expected a 12-digit AWS account id, got '123'"),
        (["since", "2 days"], "invalid duration '2 days'"),
        (["since", "900d"], "duration '900d' is too long; at most 800 days"),
        (["outbox", "lost"], "unknown outbox status 'lost'; expected one of pending, sending"),
        (["rejected", "--region", "nowhere"], "--region: unknown AWS region 'nowhere'"),
        (["since", "1h", "--until", "yesterday"], "invalid duration 'yesterday'"),
        (["since", "1h", "--kind", "nope"], "argument --kind: invalid choice: 'nope'"),
    ],
)
def test_bad_input_is_exit_2_before_any_query(argv: list[str], message: str) -> None:
    fake = FakeLedger()
    result = run_cli("ledger", *argv, "--table", "t", deps=_deps(fake))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert fake.queries == []


def test_missing_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_TABLE_NAME", raising=False)
    result = run_cli("ledger", "rejected", deps=_deps(FakeLedger()))
    assert result.code == 2
    assert result.err.strip() == (
        "govbot: error: no ledger table: pass --table NAME or set LEDGER_TABLE_NAME"
    )


def test_read_failure_is_one_line() -> None:
    class Broken(FakeLedger):
        def events_by_status(self, status: str, *, limit: int | None = None) -> list[EventRecord]:
            raise RuntimeError("ResourceNotFoundException: table gone")

    result = run_cli("ledger", "rejected", "--table", "t", deps=_deps(Broken()))
    assert result.code == 2
    assert result.err.strip() == (
        "govbot: error: cannot read ledger table 't': ResourceNotFoundException: table gone"
    )
