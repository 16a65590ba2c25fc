"""Races on the sandbox with real threads: a remedy against the owner's delete, and one event
delivered to two invocations at once.

The emulator's latency hook holds govbot's UpdateImagePermissions in flight long enough for
the other party to act, so each race is run in the order that used to go wrong, every time.
Used by the resilience suite (a few trials) and by ``make bench`` (100 trials each). Every
figure comes from the final AppStream state, the ledger and the queues, never from logs.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from govbot.ledger.records.events import ActionRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.sandbox import BOT_PRINCIPAL, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
REMEDY = "UpdateImagePermissions"
# How the owner's delete reaches govbot: after govbot's write (CloudTrail's usual delay), or
# handled by another invocation while govbot's write is still in flight.
DeleteTiming = Literal["after_the_write", "during_the_write"]


def image_arn(name: str) -> str:
    return f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/{name}"


@dataclass
class DeleteRaceReport:
    """What the remedy-against-delete race left behind, over ``trials`` images."""

    trials: int
    timing: str
    outsider_access_left: list[str] = field(default_factory=list)
    # Images whose stop-sharing message disagrees with the final state (or is missing).
    messages_wrong: list[str] = field(default_factory=list)
    # Images where govbot's write really landed after the owner's delete (the race happened).
    raced: int = 0
    undone_by_remedy: int = 0  # govbot undid its widening right after its own write
    undone_on_delete: int = 0  # ... or when it handled the owner's delete
    dead_lettered: int = 0
    seconds: float = 0.0


@dataclass
class DuplicateRaceReport:
    """What two simultaneous deliveries of each of ``trials`` events left behind."""

    trials: int
    doubled: list[str] = field(default_factory=list)  # images remedied more than once
    unremedied: list[str] = field(default_factory=list)  # builder access still held
    orphaned_started: list[str] = field(default_factory=list)  # events with a `started` action
    statuses: Counter[str] = field(default_factory=Counter)  # of the events, in the ledger
    outcomes: Counter[str] = field(default_factory=Counter)  # of the 2 x trials invocations
    seconds: float = 0.0


def _grant(sandbox: Sandbox, name: str) -> dict[str, Any]:
    """Alice shares ``name`` with the outsider, fleet and builder: the CloudTrail envelope."""
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, name)
    sandbox.appstream(REGION).update_image_permissions(
        Name=name,
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )
    return sandbox.emulator.events.named("UpdateImagePermissions")[-1]


def _wait_for(condition: Callable[..., bool], what: str, timeout: float = 10.0) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise TimeoutError(f"race setup: {what} did not happen within {timeout:g} s")
        time.sleep(0.001)


def _bot_calls(sandbox: Sandbox, name: str) -> list[dict[str, Any]]:
    return [
        e
        for e in sandbox.emulator.events.events
        if e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL
        and (e["detail"].get("requestParameters") or {}).get("name") == name
    ]


def remedy_against_delete(
    sandbox: Sandbox, trials: int, timing: DeleteTiming, *, latency: float = 0.15
) -> DeleteRaceReport:
    """Per trial: the owner grants fleet+builder; govbot's remedy (fleet kept, builder off)
    is held in flight; meanwhile the owner deletes the share. Then everything drains."""
    report = DeleteRaceReport(trials=trials, timing=timing)
    faults = sandbox.emulator.faults
    start = time.perf_counter()
    for trial in range(trials):
        name = f"race-{trial:03d}"
        _grant(sandbox, name)
        faults.set(REMEDY, latency=latency)
        in_flight = faults.count(REMEDY, "latency") + 1
        worker = threading.Thread(target=sandbox.drain, name=f"govbot-{name}")
        worker.start()
        _wait_for(
            lambda wanted=in_flight: faults.count(REMEDY, "latency") >= wanted, "govbot's remedy"
        )
        sandbox.appstream(REGION).delete_image_permissions(Name=name, SharedAccountId=OUTSIDER)
        if timing == "during_the_write":
            deleted = sandbox.emulator.events.named("DeleteImagePermissions")[-1]
            sandbox.deliver_raw([json.dumps(deleted)])
        worker.join()
        faults.clear(REMEDY)
        sandbox.drain()
        _judge_delete_race(sandbox, name, report)
    report.dead_lettered = len(sandbox.dead_letters())
    report.seconds = round(time.perf_counter() - start, 2)
    return report


def _judge_delete_race(sandbox: Sandbox, name: str, report: DeleteRaceReport) -> None:
    arn = image_arn(name)
    share = sandbox.emulator.backend.world.images[arn].shares.get(OUTSIDER)
    if share is not None and (share.allow_fleet or share.allow_image_builder):
        report.outsider_access_left.append(name)
    # The emulator's CloudTrail log is in execution order: did govbot's remedy land after
    # the owner's delete (the race really happened)?
    log = [
        (e["detail"]["eventName"], e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL)
        for e in sandbox.emulator.events.events
        if (e["detail"].get("requestParameters") or {}).get("name") == name
    ]
    deleted_at = log.index(("DeleteImagePermissions", False))
    if (REMEDY, True) in log[deleted_at:]:
        report.raced += 1
    records = sandbox.ledger.by_image(arn)
    undo = Counter(
        str(a.request.get("undo"))
        for a in records
        if isinstance(a, ActionRecord) and a.request.get("undo") and a.status == "succeeded"
    )
    report.undone_by_remedy += undo["widening"]
    report.undone_on_delete += undo["late_write"]
    stops = [
        r for r in records if isinstance(r, OutboxItem) and r.message_kind == "stop_sharing_impact"
    ]
    says_unshared = bool(stops) and all(
        "no longer shared" in str(s.payload.get("summary")) for s in stops
    )
    if says_unshared != (name not in report.outsider_access_left):
        report.messages_wrong.append(name)


def duplicate_delivery(
    sandbox: Sandbox, trials: int, *, latency: float = 0.1
) -> DuplicateRaceReport:
    """Per trial: one violating grant's event handed to two invocations at the same instant
    (the remedy call held in flight), then the queue's own copy drained."""
    report = DuplicateRaceReport(trials=trials)
    faults = sandbox.emulator.faults
    start = time.perf_counter()
    for trial in range(trials):
        name = f"dup-{trial:03d}"
        body = json.dumps(_grant(sandbox, name))
        event_id = json.loads(body)["detail"]["eventID"]
        faults.set(REMEDY, latency=latency)
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=_deliver, args=(sandbox, body, barrier, report.outcomes))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        faults.clear(REMEDY)
        sandbox.drain()
        remedies = [e for e in _bot_calls(sandbox, name) if e["detail"]["eventName"] == REMEDY]
        if len(remedies) > 1:
            report.doubled.append(name)
        share = sandbox.emulator.backend.world.images[image_arn(name)].shares.get(OUTSIDER)
        if share is not None and share.allow_image_builder:
            report.unremedied.append(name)
        bundle = sandbox.ledger.get_event(event_id)
        report.statuses[bundle.event.status if bundle.event else "missing"] += 1
        if any(a.status == "started" for a in bundle.actions):
            report.orphaned_started.append(name)
    report.seconds = round(time.perf_counter() - start, 2)
    return report


def _deliver(
    sandbox: Sandbox, body: str, barrier: threading.Barrier, outcomes: Counter[str]
) -> None:
    """One invocation of the enforcer with ``body``, started with the other at the barrier."""
    barrier.wait()
    try:
        result = sandbox.deliver_raw([body])
    except Exception as exc:  # every record failed: the invocation fails
        outcomes[f"invocation failed: {type(exc).__name__}"] += 1
    else:
        outcomes["handed back" if result["batchItemFailures"] else "ok"] += 1
