"""The live sandbox's loop (``govbot-sandbox serve`` without the HTTP layer), issue 22:
a latency fault never holds the shared lock, a reset forgets Slack, quiet replication
sweeps are summed up. Ordering is proven with events, never with timed assertions."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.live.accounts import EXTERNAL_ACCOUNT, identity_map
from govbot_sandbox.live.narrator import QUIET_SWEEPS_PER_LINE, Narrator
from govbot_sandbox.live.world import (
    RECORDS_KEPT,
    REGION,
    REPLICATION_SWEEP_SECONDS,
    LiveSandbox,
)

WAIT = 120.0  # generous bound for a busy machine; never a measured duration


@pytest.fixture
def told() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def live(told: io.StringIO) -> Iterator[LiveSandbox]:
    world = LiveSandbox(identity_map().values(), Narrator(told)).start()
    try:
        yield world
    finally:
        world.stop()


def _share_builder_with_outsider(live: LiveSandbox) -> None:
    live.sandbox.appstream(REGION).update_image_permissions(
        Name="app-base",
        SharedAccountId=EXTERNAL_ACCOUNT,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )


def test_latency_fault_releases_the_lock_while_the_loop_waits(live: LiveSandbox) -> None:
    entered, woke = threading.Event(), threading.Event()
    waited = live.emulator.latency_sleep

    def watched(seconds: float) -> None:
        loop = threading.current_thread().name == "govbot-live-pump"
        if loop:
            entered.set()
        try:
            waited(seconds)
        finally:
            if loop:
                woke.set()

    live.emulator.latency_sleep = watched
    live.emulator.faults.set("DescribeImagePermissions", latency=5)
    _share_builder_with_outsider(live)  # govbot's loop reads the shares: a faulted call
    assert entered.wait(WAIT), "the loop never made the faulted call"

    arn, created = live.finish_image_build(HUB_ACCOUNT, REGION, "b1", "built-meanwhile")
    finished_while_waiting = not woke.is_set()
    live.reset()  # the lock again, and a fresh world under the waiting round
    reset_while_waiting = not woke.is_set()

    assert created
    assert arn.endswith(":image/built-meanwhile")
    assert finished_while_waiting
    assert reset_while_waiting
    assert woke.wait(WAIT)
    live.pump_once()
    assert live.cloudtrail_records("UpdateImagePermissions") == []  # the old world is gone
    assert live.pump_errors == 0


def test_reset_forgets_slack_and_does_not_tell_it_again(
    live: LiveSandbox, told: io.StringIO
) -> None:
    _share_builder_with_outsider(live)
    live.pump_once()
    assert any("Share revoked: app-base" in m["text"] for m in live.slack_messages())
    assert told.getvalue().count("slack      ") >= 1

    live.reset()
    live.pump_once()

    assert live.slack_messages() == []
    after_reset = told.getvalue().split("reset      a fresh world", 1)[1]
    assert "slack      " not in after_reset


def test_quiet_replication_sweeps_are_summed_up(live: LiveSandbox, told: io.StringIO) -> None:
    sweeps = 3 * QUIET_SWEEPS_PER_LINE
    for _ in range(sweeps):
        live.advance(REPLICATION_SWEEP_SECONDS)
    lines = [line for line in told.getvalue().splitlines() if "replication sweep" in line]
    assert lines[0].startswith("schedule   replication sweep: ")
    assert f"{QUIET_SWEEPS_PER_LINE} replication sweeps, nothing new" in lines[-1]
    assert len(lines) <= 1 + sweeps // QUIET_SWEEPS_PER_LINE


def test_recorded_cloudtrail_is_bounded_to_the_newest(live: LiveSandbox) -> None:
    records = live.emulator.events
    assert records.limit == RECORDS_KEPT
    records.limit = 10
    for n in range(25):
        records({"detail": {"eventName": f"Call{n}"}})
    kept = [e["detail"]["eventName"] for e in records.events]
    assert len(kept) <= 10
    assert kept[-1] == "Call24"
    assert kept == [f"Call{n}" for n in range(25 - len(kept), 25)]


def _world_snapshot(live: LiveSandbox) -> dict[str, object]:
    """What a later user of the same server could see of this world."""
    appstream = live.sandbox.appstream(REGION)
    dynamodb = live.sandbox.triggers.client("dynamodb")
    return {
        "images": sorted(i["Name"] for i in appstream.describe_images(Type="PRIVATE")["Images"]),
        "app-base shares": sorted(
            p["sharedAccountId"]
            for p in appstream.describe_image_permissions(Name="app-base")[
                "SharedImagePermissionsList"
            ]
        ),
        "ledger items": dynamodb.scan(TableName=live.sandbox.table_name)["Count"],
        "slack": len(live.slack_messages()),
        "cloudtrail": len(live.cloudtrail_records()),
        "faults": sorted(live.emulator.faults.counters),
    }


def test_a_reset_world_keeps_nothing_of_the_old_one(live: LiveSandbox) -> None:
    # What the live-endpoint test modules rely on when they share one server, reset
    # between modules: a reset world is the world a new process starts with.
    live.reset()
    pristine = _world_snapshot(live)
    start = live.clock.now()
    _share_builder_with_outsider(live)
    live.finish_image_build(HUB_ACCOUNT, REGION, "b1", "built-before-reset")
    live.advance(86400)
    live.emulator.faults.set("DescribeFleets", error_code="ThrottlingException")
    with pytest.raises(Exception, match="Throttling"):
        live.sandbox.appstream(REGION).describe_fleets()
    used = _world_snapshot(live)
    assert "built-before-reset" in used["images"]  # type: ignore[operator]
    assert all(used[k] for k in ("ledger items", "slack", "cloudtrail", "faults")), used

    live.reset()

    assert _world_snapshot(live) == pristine
    assert live.clock.now() - start < timedelta(hours=1)  # the day's advance is undone
    live.sandbox.appstream(REGION).describe_fleets()  # no fault left either
