"""The sweep is the clock for exemptions: lapsed ones are marked expired and announced once."""

from __future__ import annotations

from datetime import timedelta

from govbot.enforcer.sweep import DriftSweep, parse_schedule
from govbot.ledger.records.state import ExemptionRecord
from tests.fakes import FakeAppStream, FakeLedger
from tests.unit.enforcer_sweep.builders import (
    EAST,
    HUB,
    NOW,
    OUTSIDER,
    enforcer,
    scheduled_event,
)

IMAGE_ARN = f"arn:aws:appstream:{EAST}:{HUB}:image/app-base"


def _exemption(exemption_id: str, expires_in: timedelta) -> ExemptionRecord:
    return ExemptionRecord(
        exemption_id=exemption_id,
        image_arn=IMAGE_ARN,
        account_id=OUTSIDER,
        permission="image_builder",
        reason="vendor build week",
        approver="U0APPROVER",
        expires_at=NOW + expires_in,
        granted_at=NOW - timedelta(days=7),
    )


def _sweep(ledger: FakeLedger, event_id: str) -> str:
    fake = FakeAppStream()
    report = DriftSweep(enforcer(fake, ledger), fake).run(
        parse_schedule(scheduled_event(event_id), NOW)
    )
    return report.note


def test_lapsed_exemption_is_marked_expired_and_announced_once() -> None:
    ledger = FakeLedger()
    ledger.put_exemption(_exemption("ex-lapsed", timedelta(minutes=-5)))
    ledger.put_exemption(_exemption("ex-live", timedelta(days=1)))

    note = _sweep(ledger, "run-1")
    _sweep(ledger, "run-2")

    assert ledger.exemptions["ex-lapsed"].status == "expired"
    assert ledger.exemptions["ex-live"].status == "active"
    (notice,) = [o for o in ledger.outbox.values() if o.message_kind == "exemption_expired"]
    assert notice.payload["details"]["exemption_id"] == "ex-lapsed"
    assert notice.payload["shared_account_ids"] == [OUTSIDER]
    assert notice.payload["image_arn"] == IMAGE_ARN
    assert "exemptions_expired=1" in note


def test_nothing_lapsed_means_no_notice() -> None:
    ledger = FakeLedger()
    ledger.put_exemption(_exemption("ex-live", timedelta(hours=2)))

    note = _sweep(ledger, "run-1")

    assert [o for o in ledger.outbox.values() if o.message_kind == "exemption_expired"] == []
    assert "exemptions_expired" not in note
