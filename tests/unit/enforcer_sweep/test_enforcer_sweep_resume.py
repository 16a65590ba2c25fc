"""The sweep's scheduling and checkpoint: pass planning, lane order, resuming across
invocations, leases, crashes, bounded calls in flight (fakes only, no network, no timing)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer.sweep import (
    DriftSweep,
    DriftSweepReport,
    ScheduleTick,
    SweepSettings,
    parse_schedule,
)
from govbot.enforcer.sweep.plan import lane_for_pass, plan_pass, sweep_order
from govbot.ledger.records.sweep import SweepLane, SweepPass
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

LANES = [(a, r) for a in (HUB, SPOKE) for r in (EAST, WEST)]


def _estate(per_lane: int = 12, page_size: int = 5) -> tuple[FakeAppStream, set[str]]:
    """``per_lane`` images in each of 4 lanes; every third one shares a builder outside."""
    fake = FakeAppStream(page_size=page_size)
    drifted = set()
    for account, region in LANES:
        for i in range(per_lane):
            bad = i % 3 == 0
            ref = seed(
                fake,
                account,
                region,
                f"img-{i:03d}",
                shares={OUTSIDER if bad else TRUSTED: (True, True)},
            )
            if bad:
                drifted.add(ref.arn)
    return fake, drifted


class Budget:
    """An invocation's remaining time, spent by AppStream calls: it runs out once
    ``calls`` calls were made after it was created (time is calls here, never the clock)."""

    def __init__(self, fake: FakeAppStream, calls: int) -> None:
        self._fake = fake
        self._start = len(fake.calls)
        self._calls = calls

    def __call__(self) -> int:
        return 60_000 if len(self._fake.calls) - self._start < self._calls else 0


def _tick(event_id: str) -> ScheduleTick:
    return parse_schedule(scheduled_event(event_id), NOW)


def _until_closed(
    fake: FakeAppStream, ledger: FakeLedger, calls: int, limit: int = 40
) -> list[DriftSweepReport]:
    reports: list[DriftSweepReport] = []
    sweep = DriftSweep(enforcer(fake, ledger), fake, reserve_ms=1_000)
    for n in range(limit):
        report = sweep.run(parse_schedule(scheduled_event(f"tick-{n}"), NOW), Budget(fake, calls))
        reports.append(report)
        if report.pass_closed:
            return reports
    raise AssertionError(f"pass not closed after {limit} invocations: {reports[-1].note}")


# -- planning (pure) ---------------------------------------------------------------------


def test_first_tick_opens_a_pass_named_after_it_with_every_governed_lane() -> None:
    plan = plan_pass(None, [], (HUB, SPOKE), (EAST, WEST), _tick("t1"), NOW)

    assert plan.opens
    assert plan.expected_version is None
    assert plan.pass_id == "t1"
    assert sorted((lane.account_id, lane.region) for lane in plan.lanes) == sorted(LANES)
    assert all(lane.state == "pending" and lane.pass_id == "t1" for lane in plan.lanes)


def test_an_open_pass_is_resumed_by_any_tick_and_a_closed_one_replaced() -> None:
    open_pass = SweepPass(pass_id="t1", opened_at=NOW, version=3)
    resumed = plan_pass(open_pass, [], (HUB,), (EAST,), _tick("t2"), NOW)
    assert (resumed.pass_id, resumed.opens) == ("t1", False)

    closed = open_pass.model_copy(update={"status": "closed"})
    fresh = plan_pass(closed, [], (HUB,), (EAST,), _tick("t2"), NOW)
    assert (fresh.pass_id, fresh.opens, fresh.expected_version) == ("t2", True, 3)

    # A retry of the tick that opened (and closed) the pass finishes it, never reopens it.
    again = plan_pass(closed, [], (HUB,), (EAST,), _tick("t1"), NOW)
    assert (again.pass_id, again.opens) == ("t1", False)


def test_lanes_of_an_older_pass_start_afresh_and_finished_ones_are_skipped() -> None:
    old = SweepLane(
        account_id=HUB, region=EAST, pass_id="t0", state="listing", page_token="5", images=7
    )
    fresh = lane_for_pass(old, "t1")
    assert (fresh.state, fresh.page_token, fresh.images) == ("pending", None, 0)
    assert fresh.pass_id == "t1"
    done = SweepLane(account_id=HUB, region=WEST, pass_id="t1", state="done")
    plan = plan_pass(
        SweepPass(pass_id="t1", opened_at=NOW, version=1),
        [old, done],
        (HUB,),
        (EAST, WEST),
        _tick("t2"),
        NOW,
    )
    assert [(lane.region, lane.state) for lane in plan.unfinished()] == [(EAST, "pending")]


def test_started_lanes_come_first_then_the_least_recently_swept() -> None:
    def lane(region: str, state: str = "pending", hours_ago: int | None = None) -> SweepLane:
        swept = NOW - timedelta(hours=hours_ago) if hours_ago is not None else None
        return SweepLane.model_validate(
            {"account_id": HUB, "region": region, "state": state, "last_swept_at": swept}
        )

    ordered = sweep_order(
        [
            lane("r-recent", hours_ago=1),
            lane("r-done", state="done", hours_ago=9),
            lane("r-never"),
            lane("r-old", hours_ago=5),
            lane("r-started", state="listing", hours_ago=0),
        ]
    )

    assert [x.region for x in ordered] == ["r-started", "r-never", "r-old", "r-recent", "r-done"]


def test_settings_are_validated_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="calls_in_flight must be >= 1"):
        SweepSettings(calls_in_flight=0)
    with pytest.raises(ValueError, match="reserve_ms must be >= 0"):
        SweepSettings(reserve_ms=-1)


# -- resuming across invocations ----------------------------------------------------------


@pytest.mark.parametrize("calls", [3, 8, 20])
def test_a_pass_cut_short_resumes_and_covers_every_lane_acting_once(calls: int) -> None:
    fake, drifted = _estate()
    ledger = FakeLedger()

    reports = _until_closed(fake, ledger, calls)

    assert len(reports) > 1  # it really was cut short
    last = reports[-1]
    assert last.pass_id == "tick-0"
    assert last.swept == sorted(f"{a}/{r}" for a, r in LANES)
    assert last.images == 4 * 12
    assert {f.image_arn for f in last.findings} == drifted
    # Every drifted image remedied exactly once, every image read exactly once (names
    # repeat across the 4 lanes, so each name is read 4 times in all).
    assert len(fake.writes()) == len(drifted)
    assert set(Counter(fake.writes()).values()) == {4}
    per_name = Counter(ImageRef.from_arn(c.image_arn).name for c in fake.calls_to("with_details"))
    assert set(per_name.values()) == {4}
    # One notification for the whole pass, carrying every finding.
    (drift,) = [o for o in ledger.outbox.values() if o.message_kind == "drift_found"]
    assert drift.payload["details"]["counts"]["drifted"] == len(drifted)
    assert drift.payload["details"]["counts"]["images"] == 48
    # Earlier invocations said the pass continues and notified nothing themselves.
    assert all(r.pass_closed is False for r in reports[:-1])
    assert all("continues" in r.note for r in reports[:-1])


def test_the_next_pass_after_a_resumed_one_starts_with_the_least_recently_swept() -> None:
    fake, _ = _estate()
    ledger = FakeLedger()
    _until_closed(fake, ledger, 10**6)
    _, lanes = ledger.sweep_checkpoint()
    # Make one lane the stalest, as if the previous pass had reached it last.
    stale = next(lane for lane in lanes if (lane.account_id, lane.region) == (SPOKE, WEST))
    ledger.sweep[stale.keys()[1]] = stale.model_copy(
        update={"last_swept_at": NOW - timedelta(days=1)}
    )
    current, lanes = ledger.sweep_checkpoint()

    plan = plan_pass(current, lanes, (HUB, SPOKE), (EAST, WEST), _tick("next"), NOW)

    assert plan.opens
    assert plan.pass_id == "next"
    assert (plan.lanes[0].account_id, plan.lanes[0].region) == (SPOKE, WEST)


def test_a_crash_mid_lane_costs_at_most_one_page_and_acts_once() -> None:
    fake, drifted = _estate(per_lane=10, page_size=4)
    ledger = FakeLedger()
    original = fake.with_details
    seen = {"n": 0}

    def dies_after_15(image: ImageSnapshot) -> ImageSnapshot | None:
        seen["n"] += 1
        if seen["n"] == 15:
            raise RuntimeError("Lambda killed the invocation")
        return original(image)

    fake.with_details = dies_after_15  # type: ignore[method-assign]
    sweep = DriftSweep(
        enforcer(fake, ledger), fake, settings=SweepSettings(calls_in_flight=1, parallel_lanes=1)
    )
    with pytest.raises(RuntimeError):
        sweep.run(parse_schedule(scheduled_event("t1"), NOW))
    writes = list(fake.writes())
    fake.with_details = original  # type: ignore[method-assign]
    # The crashed invocation's leases are released only by time: the retry comes later.
    later = NOW + timedelta(hours=1)
    for key, record in list(ledger.sweep.items()):
        if isinstance(record, SweepLane) and record.lease_until is not None:
            expired = NOW - timedelta(seconds=1)
            ledger.sweep[key] = record.model_copy(update={"lease_until": expired})

    report = sweep.run(parse_schedule(scheduled_event("t1"), later))

    assert report.pass_closed
    assert {f.image_arn for f in report.findings} == drifted
    assert len(fake.writes()) == len(drifted)  # nothing remedied twice
    assert set(writes) <= set(fake.writes())
    (drift,) = [o for o in ledger.outbox.values() if o.message_kind == "drift_found"]
    assert drift.payload["details"]["counts"]["drifted"] == len(drifted)


def test_a_lane_leased_by_another_live_invocation_is_left_alone() -> None:
    fake, _ = _estate(per_lane=3)
    ledger = FakeLedger()
    ledger.put_sweep_record(
        SweepLane(
            account_id=HUB,
            region=EAST,
            pass_id="t1",
            state="listing",
            owner="someone-else",
            lease_until=NOW + timedelta(minutes=5),
        ),
        expected_version=None,
    )
    sweep = DriftSweep(enforcer(fake, ledger), fake)

    first = sweep.run(parse_schedule(scheduled_event("t1"), NOW))

    assert first.pass_closed is False
    assert f"{HUB}/{EAST}" not in first.swept
    assert not any((c.owner, c.region) == (HUB, EAST) for c in fake.calls_to("image_page"))
    # Once the lease has run out, the next invocation takes the lane over and closes.
    key = SweepLane(account_id=HUB, region=EAST).keys()[1]
    ledger.sweep[key] = ledger.sweep[key].model_copy(
        update={"lease_until": NOW - timedelta(seconds=1)}
    )
    second = sweep.run(parse_schedule(scheduled_event("t2"), NOW))
    assert second.pass_closed
    assert len(second.swept) == 4


def test_an_expired_page_token_restarts_the_lane_without_acting_twice() -> None:
    fake, drifted = _estate(per_lane=9, page_size=3)
    ledger = FakeLedger()
    # One lane at a time: with lanes in parallel, whether any lane has moved past its
    # first page (and saved a token) when the budget runs out depends on thread timing.
    sweep = DriftSweep(
        enforcer(fake, ledger),
        fake,
        reserve_ms=1_000,
        settings=SweepSettings(calls_in_flight=1, parallel_lanes=1),
    )
    sweep.run(parse_schedule(scheduled_event("t1"), NOW), Budget(fake, 12))
    _, lanes = ledger.sweep_checkpoint()
    fake.bad_tokens = {lane.page_token for lane in lanes if lane.page_token}
    assert fake.bad_tokens

    report = sweep.run(parse_schedule(scheduled_event("t2"), NOW))

    assert report.pass_closed
    assert report.errors == []
    assert {f.image_arn for f in report.findings} == drifted
    assert len(fake.writes()) == len(drifted)


def test_retried_invocations_of_a_resumed_pass_do_nothing_twice() -> None:
    fake, _ = _estate(per_lane=6, page_size=2)
    ledger = FakeLedger()
    sweep = DriftSweep(enforcer(fake, ledger), fake, reserve_ms=1_000)
    reports = _until_closed(fake, ledger, 10)
    ticks = [f"tick-{n}" for n in range(len(reports))]
    assert len(ticks) > 2
    calls, outbox = list(fake.calls), dict(ledger.outbox)

    # EventBridge retries: the opener, and the invocation that closed the pass.
    retried = [sweep.run(parse_schedule(scheduled_event(t), NOW)) for t in ticks]

    assert {r.status for r in retried} == {"duplicate"}
    assert fake.calls == calls
    assert ledger.outbox == outbox


# -- bounded calls in flight -----------------------------------------------------------


class Tracking(FakeAppStream):
    """Records the most AppStream calls ever in flight per lane and overall."""

    def __init__(self) -> None:
        super().__init__(page_size=5)
        self._guard = threading.Lock()
        self.now_in: Counter[tuple[str, str]] = Counter()
        self.peak: Counter[tuple[str, str]] = Counter()
        self.total = 0
        self.peak_total = 0

    def with_details(self, image: ImageSnapshot) -> ImageSnapshot | None:
        lane = (image.ref.account_id, image.ref.region)
        with self._guard:
            self.now_in[lane] += 1
            self.total += 1
            self.peak[lane] = max(self.peak[lane], self.now_in[lane])
            self.peak_total = max(self.peak_total, self.total)
        time.sleep(0.005)  # long enough for other threads to start theirs
        with self._guard:
            self.now_in[lane] -= 1
            self.total -= 1
        return super().with_details(image)


@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_calls_in_flight_per_lane_never_exceed_the_setting(in_flight: int) -> None:
    fake = Tracking()
    for account, region in LANES:
        for i in range(12):
            seed(fake, account, region, f"img-{i}", shares={TRUSTED: (True, False)})
    ledger = FakeLedger()
    settings = SweepSettings(calls_in_flight=in_flight, parallel_lanes=4)

    report = DriftSweep(enforcer(fake, ledger), fake, settings=settings).run(
        parse_schedule(scheduled_event(), NOW)
    )

    assert report.pass_closed
    assert max(fake.peak.values()) <= in_flight
    assert fake.peak_total <= in_flight * 4
