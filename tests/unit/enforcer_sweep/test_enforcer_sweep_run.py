"""The drift sweep over fakes: 2 accounts x 2 regions, errors, replays and retries."""

from __future__ import annotations

from govbot.enforcer.sweep import DriftSweep, DriftSweepReport, ScheduleTick, parse_schedule
from tests.fakes import FakeAppStream, FakeLedger
from tests.unit.enforcer_sweep.builders import (
    EAST,
    HUB,
    NOW,
    OUTSIDER,
    SPOKE,
    TRUSTED,
    WEST,
    enforcer,
    scheduled_event,
    seed,
)


def _world() -> FakeAppStream:
    """Compliant and violating images spread over both accounts and both regions."""
    fake = FakeAppStream()
    seed(fake, HUB, EAST, "app-base", shares={OUTSIDER: (True, True)})  # builder: remedy
    seed(fake, HUB, EAST, "app-ok", shares={TRUSTED: (True, True)})  # trusted: compliant
    seed(fake, HUB, WEST, "plain")  # not shared: compliant
    seed(
        fake,
        SPOKE,
        EAST,
        "vault",
        shares={OUTSIDER: (True, False)},
        tags={"classification": "confidential"},
    )  # never shared: the whole share goes
    seed(fake, SPOKE, WEST, "dev-tools", shares={OUTSIDER: (True, False)})  # audit rule: left
    seed(fake, SPOKE, WEST, "web", shares={OUTSIDER: (True, False)})  # fleet only: compliant
    return fake


def _tick(event_id: str = "run-1") -> ScheduleTick:
    return parse_schedule(scheduled_event(event_id), NOW)


def _run(
    fake: FakeAppStream, ledger: FakeLedger, event_id: str = "run-1", *, mode: str = "enforce"
) -> DriftSweepReport:
    return DriftSweep(enforcer(fake, ledger, mode=mode), fake).run(_tick(event_id))


def test_sweep_remedies_violations_everywhere_and_counts_the_rest() -> None:
    fake, ledger = _world(), FakeLedger()

    report = _run(fake, ledger)

    assert report.status == "processed"
    assert report.swept == sorted(f"{a}/{r}" for a in (HUB, SPOKE) for r in (EAST, WEST))
    assert report.counts() == {
        "regions_swept": 4,
        "images": 6,
        "compliant": 3,
        "standing": 0,
        "drifted": 3,
        "remedied": 2,
        "failed": 0,
        "left": 1,
        "errors": 0,
    }
    assert sorted(fake.writes()) == [
        ("DeleteImagePermissions", "vault", OUTSIDER),
        ("UpdateImagePermissions", "app-base", OUTSIDER),
    ]
    base = fake.images[f"arn:aws:appstream:{EAST}:{HUB}:image/app-base"]
    assert base.permissions_of(OUTSIDER).allow_fleet is True
    assert base.permissions_of(OUTSIDER).allow_image_builder is False
    dev = fake.images[f"arn:aws:appstream:{WEST}:{SPOKE}:image/dev-tools"]
    assert dev.permissions_of(OUTSIDER).allow_fleet is True  # audit rule: left in place


def test_only_drifted_images_and_the_run_summary_reach_the_ledger() -> None:
    fake, ledger = _world(), FakeLedger()
    tick = _tick()

    _run(fake, ledger)

    drifted = {
        tick.image_event_id(f"arn:aws:appstream:{region}:{acct}:image/{name}")
        for acct, region, name in (
            (HUB, EAST, "app-base"),
            (SPOKE, EAST, "vault"),
            (SPOKE, WEST, "dev-tools"),
        )
    }
    assert set(ledger.events) == drifted | {tick.run_event_id}
    for event_id in drifted:
        event = ledger.events[event_id]
        assert (event.event_name, event.status) == ("DriftSweep", "processed")
        assert event.actor_arn == f"arn:aws:events:{EAST}:{HUB}:rule/govbot-drift-sweep"
    summary = ledger.events[tick.run_event_id]
    assert (summary.event_name, summary.status) == ("DriftSweep", "processed")
    assert summary.note is not None
    assert "compliant=3" in summary.note
    assert "drifted=3" in summary.note
    vault = ledger.get_event(tick.image_event_id(f"arn:aws:appstream:{EAST}:{SPOKE}:image/vault"))
    assert [(a.operation, a.status) for a in vault.actions] == [
        ("DeleteImagePermissions", "succeeded")
    ]
    assert {(d.rule_id, d.outcome) for d in vault.decisions} >= {
        ("secrets-never-shared", "violation")
    }


def test_outbox_has_the_enforcer_items_and_one_drift_summary() -> None:
    fake, ledger = _world(), FakeLedger()

    _run(fake, ledger)

    assert ledger.kinds() == [
        "drift_found",
        "violation_audit",
        "violation_remedied",
        "violation_remedied",
    ]
    (drift,) = [o for o in ledger.outbox.values() if o.message_kind == "drift_found"]
    assert drift.severity == "critical"  # the highest rule severity: no-untrusted-builders
    details = drift.payload["details"]
    assert details["counts"]["drifted"] == 3
    assert len(details["images"]) == 3
    outcomes = sorted(line["outcome"] for line in details["drift"])
    assert outcomes == ["left for people (audit or report-only)", "removed", "removed"]
    assert drift.payload["shared_account_ids"] == [OUTSIDER]
    assert drift.payload["actor_arn"].endswith(":rule/govbot-drift-sweep")


def test_an_erroring_region_is_reported_and_the_others_are_swept() -> None:
    fake, ledger = _world(), FakeLedger()
    fake.broken[(SPOKE, EAST)] = "AccessDenied"

    report = _run(fake, ledger)

    assert len(report.errors) == 1
    assert report.errors[0].startswith(f"{SPOKE}/{EAST}: AssumeRole failed with AccessDenied")
    assert f"{SPOKE}/{EAST}" not in report.swept
    assert len(report.swept) == 3
    assert fake.writes() == [
        ("UpdateImagePermissions", "app-base", OUTSIDER)
    ]  # vault lives in the broken region
    (drift,) = [o for o in ledger.outbox.values() if o.message_kind == "drift_found"]
    assert any(
        isinstance(line, str) and "AccessDenied" in line
        for line in drift.payload["details"]["drift"]
    )
    assert drift.payload["details"]["errors"] == report.errors


def test_second_run_with_the_same_schedule_id_does_nothing_new() -> None:
    fake, ledger = _world(), FakeLedger()
    _run(fake, ledger)
    calls, events, outbox = list(fake.calls), dict(ledger.events), dict(ledger.outbox)

    again = _run(fake, ledger)

    assert again.status == "duplicate"
    assert "drifted=3" in again.note
    assert fake.calls == calls  # not even a listing
    assert ledger.events == events
    assert ledger.outbox == outbox


def test_a_later_run_finds_no_drift_and_says_nothing() -> None:
    fake, ledger = _world(), FakeLedger()
    _run(fake, ledger, "run-1")
    outbox = dict(ledger.outbox)

    later = _run(fake, ledger, "run-2")

    # dev-tools stays in violation (audit rule): recorded again, but announced already
    # (announce changes, not states), so nothing new reaches the outbox.
    assert later.counts()["remedied"] == 0
    assert later.counts()["left"] == 0
    new = [o for o in ledger.outbox.values() if o.outbox_id not in outbox]
    assert new == []
    assert sorted(fake.writes()) == [
        ("DeleteImagePermissions", "vault", OUTSIDER),
        ("UpdateImagePermissions", "app-base", OUTSIDER),
    ]


def test_a_compliant_estate_leaves_only_the_run_summary() -> None:
    fake, ledger = FakeAppStream(), FakeLedger()
    seed(fake, HUB, EAST, "app-ok", shares={TRUSTED: (True, True)})

    report = _run(fake, ledger)

    assert report.counts()["compliant"] == 1
    assert list(ledger.events) == [_tick().run_event_id]
    assert ledger.outbox == {}


def test_audit_mode_reports_without_any_write() -> None:
    fake, ledger = _world(), FakeLedger()

    report = _run(fake, ledger, mode="audit")

    assert fake.writes() == []
    assert report.counts()["remedied"] == 0
    assert report.counts()["left"] == 3
    (drift,) = [o for o in ledger.outbox.values() if o.message_kind == "drift_found"]
    assert drift.severity == "critical"  # the highest rule severity: no-untrusted-builders


def test_a_retry_after_a_crash_reports_what_the_first_attempt_fixed() -> None:
    fake, ledger = _world(), FakeLedger()
    tick = _tick()
    # First attempt: remedies happened and were committed per image, then the run died
    # before committing its summary (simulated by reopening the summary event).
    _run(fake, ledger)
    summary = ledger.events[tick.run_event_id]
    ledger.events[tick.run_event_id] = summary.model_copy(update={"status": "received"})
    ledger.outbox = {k: v for k, v in ledger.outbox.items() if v.message_kind != "drift_found"}
    writes = list(fake.writes())

    retry = _run(fake, ledger)

    assert retry.status == "processed"
    assert fake.writes() == writes  # nothing done twice
    assert retry.counts()["drifted"] == 3
    assert retry.counts()["remedied"] == 2
    assert [o.message_kind for o in ledger.outbox.values()].count("drift_found") == 1


def test_a_drifted_image_is_remedied_from_the_listed_snapshot_without_a_second_read() -> None:
    fake, ledger = _world(), FakeLedger()

    report = _run(fake, ledger)

    assert report.counts()["drifted"] == 3
    # The listing's snapshot is evaluated as is; the only other reads are the share lists
    # re-read right before each remedy write (a remedy only takes away what is still there).
    assert sorted(c.image_arn for c in fake.calls_to("describe_image")) == sorted(
        c.image_arn for c in fake.write_calls()
    )
    # One details read per listed image, nothing more before the remedies.
    assert sorted(c.image_arn for c in fake.calls_to("with_details")) == sorted(fake.images)
