"""Exemptions and copy jobs (optimistic locking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govbot.ledger import ConcurrentUpdate, Ledger
from tests.fakes import FakeClock
from tests.integration.ledger.conftest import RecordingClient, raw_item
from tests.unit.ledger.builders import copy_job, exemption


def test_exemption_round_trip_and_ttl(ledger: Ledger, ddb: Any) -> None:
    stored = ledger.put_exemption(exemption())
    assert stored.granted_at == ledger.now()
    assert ledger.get_exemption("ex-1") == stored
    assert ledger.get_exemption("ex-2") is None

    raw = raw_item(ddb, "EXEMPTION#ex-1", "EXEMPTION")
    assert raw is not None
    assert raw["valid_until"] == {"S": "2026-12-04T00:00:00.000Z"}
    # TTL: exemption end + 30 days retention, not grant time
    expected = int((datetime(2026, 12, 4, tzinfo=UTC) + timedelta(days=30)).timestamp())
    assert raw["expires_at"] == {"N": str(expected)}
    assert raw["status_key"] == {"S": "EXEMPTION#active"}


def test_active_exemptions_filters_expired_and_revoked(
    ledger: Ledger, recording: RecordingClient, clock: FakeClock
) -> None:
    ledger.put_exemption(exemption("ex-1"))
    ledger.put_exemption(exemption("ex-2", expires_at=clock() + timedelta(hours=1)))
    ledger.put_exemption(exemption("ex-3"))
    ledger.put_exemption(exemption("ex-3", status="revoked"))
    recording.reset()

    assert [e.exemption_id for e in ledger.active_exemptions()] == ["ex-1", "ex-2"]
    later = clock() + timedelta(hours=2)
    assert [e.exemption_id for e in ledger.active_exemptions(later)] == ["ex-1"]
    assert "scan" not in recording.operations()
    assert {kw.get("IndexName") for _, kw in recording.calls} == {"by-status"}


def test_lapsed_exemptions_are_the_active_ones_whose_time_is_up(
    ledger: Ledger, clock: FakeClock
) -> None:
    ledger.put_exemption(exemption("ex-1"))
    ledger.put_exemption(exemption("ex-2", expires_at=clock() + timedelta(hours=1)))
    later = clock() + timedelta(hours=2)

    assert [e.exemption_id for e in ledger.lapsed_exemptions()] == []
    (lapsed,) = ledger.lapsed_exemptions(later)
    assert lapsed.exemption_id == "ex-2"
    ledger.put_exemption(lapsed.model_copy(update={"status": "expired"}))
    assert ledger.lapsed_exemptions(later) == []


def test_copy_job_create_then_update_with_version(ledger: Ledger, clock: FakeClock) -> None:
    created = ledger.put_copy_job(copy_job(), expected_version=None)
    assert created.version == 1
    assert created.created_at == created.updated_at == clock()

    clock.advance(minutes=3)
    job = ledger.get_copy_job(created.source_arn, "eu-west-1")
    assert job == created
    moved = job.transition("copying", at=clock(), reason="CopyImage accepted")
    updated = ledger.put_copy_job(moved, expected_version=job.version)

    assert updated.version == 2
    assert updated.updated_at == clock()
    assert updated.created_at == created.created_at
    again = ledger.get_copy_job(created.source_arn, "eu-west-1")
    assert again is not None
    assert again.state == "copying"
    assert [s.state for s in again.history] == ["copying"]
    assert again.last_reason == "CopyImage accepted"


def test_copy_job_conflicts_raise_concurrent_update(ledger: Ledger) -> None:
    job = ledger.put_copy_job(copy_job(), expected_version=None)
    with pytest.raises(ConcurrentUpdate, match="expected absent"):
        ledger.put_copy_job(copy_job(), expected_version=None)

    ledger.put_copy_job(job.transition("copying", at=ledger.now()), expected_version=1)
    stale = job.transition("failed", at=ledger.now(), reason="IMAGE_COPY_FAILURE")
    with pytest.raises(ConcurrentUpdate, match="expected v1"):
        ledger.put_copy_job(stale, expected_version=1)
    current = ledger.get_copy_job(job.source_arn, job.destination_region)
    assert current is not None
    assert (current.state, current.version) == ("copying", 2)


def test_active_copy_jobs_and_ttl_of_finished_ones(
    ledger: Ledger, ddb: Any, clock: FakeClock
) -> None:
    eu = ledger.put_copy_job(copy_job("eu-west-1"), expected_version=None)
    ap = ledger.put_copy_job(copy_job("ap-southeast-2"), expected_version=None)
    failed = ledger.put_copy_job(copy_job("us-west-2", state="failed"), expected_version=None)

    raw_active = raw_item(ddb, eu.keys()[0], "JOB")
    assert raw_active is not None
    assert "expires_at" not in raw_active

    clock.advance(days=1)
    ledger.put_copy_job(ap.transition("done", at=clock()), expected_version=ap.version)

    active = ledger.active_copy_jobs()
    assert {j.destination_region for j in active} == {"eu-west-1", "us-west-2"}
    assert failed.is_active
    raw_done = raw_item(ddb, ap.keys()[0], "JOB")
    assert raw_done is not None
    assert "status_key" not in raw_done
    assert raw_done["expires_at"] == {"N": str(int((clock() + timedelta(days=30)).timestamp()))}
