"""Schedule parsing, routing, the time budget and the bounded drift notification."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest

from govbot.enforcer.drift_summary import (
    MAX_DRIFT_LINES,
    DriftFinding,
    DriftRun,
    drift_item,
    permissions_text,
)
from govbot.enforcer.sweep import DriftSweep, parse_schedule
from govbot.ledger.records.events import ActionRecord
from govbot.schedule import is_scheduled
from tests.fakes import FakeAppStream, FakeLedger
from tests.unit.enforcer_sweep.builders import (
    EAST,
    HUB,
    NOW,
    OUTSIDER,
    enforcer,
    scheduled_event,
    seed,
)


def test_schedule_envelope_gives_the_run_identity() -> None:
    tick = parse_schedule(scheduled_event("abc"), NOW)

    assert tick.time == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert tick.actor_arn == f"arn:aws:events:{EAST}:{HUB}:rule/govbot-drift-sweep"
    assert tick.run_event_id.startswith("DRIFTRUN-")
    assert tick.run_event_id == parse_schedule(scheduled_event("abc"), NOW).run_event_id
    assert tick.run_event_id != parse_schedule(scheduled_event("abd"), NOW).run_event_id
    arn = f"arn:aws:appstream:{EAST}:{HUB}:image/x"
    assert tick.image_event_id(arn) != tick.image_event_id(arn + "y")
    assert "#" not in tick.image_event_id(arn)


@pytest.mark.parametrize("bad", [None, "", "   ", 7])
def test_a_schedule_without_an_id_is_refused_with_the_field_named(bad: object) -> None:
    with pytest.raises(ValueError, match="field 'id' must be a non-empty string"):
        parse_schedule(scheduled_event(bad), NOW)  # type: ignore[arg-type]


def test_a_bad_schedule_time_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="field 'time' must be ISO-8601"):
        parse_schedule(scheduled_event(time="yesterday"), NOW)


def test_scheduler_input_without_time_or_rule_uses_now_and_names_the_source() -> None:
    tick = parse_schedule({"id": "s-1", "source": "aws.scheduler"}, NOW)

    assert tick.time == NOW
    assert tick.actor_arn == "aws.scheduler:unknown-schedule"


def test_only_schedule_invocations_are_routed_to_the_sweep() -> None:
    assert is_scheduled(scheduled_event())
    assert is_scheduled({"source": "aws.scheduler", "id": "x"})
    assert not is_scheduled({"Records": [], "source": "aws.events"})
    assert not is_scheduled(
        {"source": "aws.appstream", "detail-type": "AWS API Call via CloudTrail"}
    )


def test_out_of_time_lanes_stay_open_for_the_next_invocation_and_nothing_is_notified() -> None:
    fake, ledger = FakeAppStream(), FakeLedger()
    seed(fake, HUB, EAST, "app-base", shares={OUTSIDER: (True, True)})
    tick = parse_schedule(scheduled_event(), NOW)

    report = DriftSweep(enforcer(fake, ledger, accounts=(HUB,)), fake, reserve_ms=5_000).run(
        tick, remaining_ms=lambda: 1_000
    )

    assert report.pass_closed is False
    assert report.swept == []
    assert report.errors == []
    assert "continues (2 account/region(s) left)" in report.note
    assert fake.writes() == []
    assert ledger.events[tick.run_event_id].status == "processed"
    assert ledger.outbox == {}


def _finding(i: int, status: Literal["succeeded", "failed"] = "succeeded") -> DriftFinding:
    arn = f"arn:aws:appstream:{EAST}:{HUB}:image/img-{i}"
    action = ActionRecord(
        event_id=f"DRIFT-{i}",
        seq=0,
        operation="UpdateImagePermissions",
        request={
            "before": {"allow_fleet": True, "allow_image_builder": True},
            "after": {"allow_fleet": True, "allow_image_builder": False},
            "rule_ids": ["no-untrusted-builders"],
        },
        status=status,
        error=None if status == "succeeded" else "LimitExceeded",
        shared_account_id=OUTSIDER,
    )
    return DriftFinding(arn, f"img-{i}", EAST, HUB, f"DRIFT-{i}", remedies=(action,))


RUN = DriftRun("DRIFTRUN-1", "arn:aws:events:us-east-1:123456789012:rule/r", EAST, HUB, NOW)


def test_drift_notification_is_bounded_and_says_how_many_more() -> None:
    findings = [_finding(i) for i in range(50)]

    item = drift_item(RUN, findings, ["222222222222/us-east-1: denied"], {"drifted": 50})

    drift = item.payload["details"]["drift"]
    assert len(drift) == MAX_DRIFT_LINES
    assert drift[-1] == "...and 32 more (see the ledger)"
    assert item.payload["details"]["more"] == 32
    assert len(item.payload["details"]["images"]) == MAX_DRIFT_LINES
    assert item.payload["image_name"] == "50 image(s)"
    assert "50 image(s) in 1 account(s)" in item.payload["summary"]
    assert "1 account/region(s) or image(s) could not be swept" in item.payload["summary"]
    first = drift[0]
    assert first["account_id"] == OUTSIDER
    assert first["expected"] == "fleet"
    assert first["actual"] == f"fleet + image builder on img-0 ({EAST})"


def test_drift_notification_severity_and_identity() -> None:
    failed = drift_item(RUN, [_finding(1, "failed")], [], {})
    only_errors = drift_item(RUN, [], ["x/y: denied"], {})
    again = drift_item(RUN, [_finding(1, "failed")], [], {})

    assert failed.severity == "critical"
    assert failed.payload["image_arn"] == f"arn:aws:appstream:{EAST}:{HUB}:image/img-1"
    assert only_errors.severity == "low"
    assert only_errors.payload["details"]["drift"] == ["not swept: x/y: denied"]
    assert failed.outbox_id == again.outbox_id  # one notification per run, whatever retries


@pytest.mark.parametrize(
    ("perms", "text"),
    [
        ({"allow_fleet": True, "allow_image_builder": True}, "fleet + image builder"),
        ({"allow_fleet": False, "allow_image_builder": True}, "image builder"),
        ({}, "no share"),
    ],
)
def test_permissions_read_as_people_say_them(perms: dict[str, bool], text: str) -> None:
    assert permissions_text(perms) == text
