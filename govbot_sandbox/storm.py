"""A throttling storm on the sandbox: violating grants, AppStream calls throttled, queues drained.

Used by the resilience suite (a small storm) and by ``make bench`` (100 events). Every
figure comes from the final AppStream state, the ledger and the queues, never from logs.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from govbot_sandbox.emulator.faults import FaultConfig
from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.sandbox import BOT_PRINCIPAL, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"


@dataclass
class StormReport:
    """What a storm left behind."""

    events: int
    throttle_rate: float
    forbidden_left: list[str] = field(default_factory=list)  # images still granting builder
    dead_lettered: int = 0
    doubled: list[str] = field(default_factory=list)  # images remedied more than once
    statuses: Counter[str] = field(default_factory=Counter)  # ledger status of the grants
    received_without_dlq: list[str] = field(default_factory=list)
    received_without_critical: list[str] = field(default_factory=list)
    critical_messages: int = 0
    throttled_calls: int = 0
    records_handled: int = 0
    rounds: int = 0
    seconds: float = 0.0


def image_name(i: int) -> str:
    return f"storm-{i:03d}"


def image_arn(name: str) -> str:
    return f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/{name}"


def grant_builders(sandbox: Sandbox, events: int) -> dict[str, str]:
    """Alice grants an outsider image-builder access on ``events`` images: name -> eventID."""
    client = sandbox.appstream(REGION)
    ids: dict[str, str] = {}
    for i in range(events):
        name = image_name(i)
        sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, name)
        client.update_image_permissions(
            Name=name,
            SharedAccountId=OUTSIDER,
            ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
        )
        ids[name] = str(
            sandbox.emulator.events.named("UpdateImagePermissions")[-1]["detail"]["eventID"]
        )
    return ids


def run_storm(
    sandbox: Sandbox, events: int, throttle_rate: float, *, seed: int = 7, max_rounds: int = 200
) -> StormReport:
    """Grant, throttle every AppStream operation at ``throttle_rate``, drain, then look."""
    ids = grant_builders(sandbox, events)
    sandbox.emulator.faults = FaultConfig(seed=seed)  # the same seed, the same storm
    sandbox.emulator.faults.set("*", throttle_rate=throttle_rate)
    start = time.perf_counter()
    drained = sandbox.drain(max_rounds=max_rounds)
    seconds = time.perf_counter() - start
    throttled = sum(
        n for (_op, kind), n in sandbox.emulator.faults.counters.items() if kind == "throttle"
    )
    sandbox.emulator.faults.clear()
    return inspect(sandbox, ids, throttle_rate, drained.records, drained.rounds, seconds, throttled)


def inspect(
    sandbox: Sandbox,
    ids: dict[str, str],
    throttle_rate: float,
    records: int,
    rounds: int,
    seconds: float,
    throttled: int,
) -> StormReport:
    """Compare the final state of each granted image with its event's ledger story."""
    report = StormReport(
        events=len(ids),
        throttle_rate=throttle_rate,
        records_handled=records,
        rounds=rounds,
        seconds=round(seconds, 2),
        throttled_calls=throttled,
    )
    dead = sandbox.dead_letters()
    report.dead_lettered = len(dead)
    remedies = Counter(
        e["detail"]["requestParameters"]["name"]
        for e in sandbox.emulator.events.named("UpdateImagePermissions")
        if e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL
    )
    report.doubled = sorted(name for name, n in remedies.items() if n > 1)
    ledger = sandbox.ledger
    for name, event_id in ids.items():
        image = sandbox.emulator.backend.world.images[image_arn(name)]
        share = image.shares.get(OUTSIDER)
        if share is not None and share.allow_image_builder:
            report.forbidden_left.append(name)
        bundle = ledger.get_event(event_id)
        status = bundle.event.status if bundle.event else "missing"
        report.statuses[status] += 1
        if status == "received":
            if not any(event_id in body for body in dead):
                report.received_without_dlq.append(name)
            critical = [
                o
                for o in ledger.by_image(image_arn(name))
                if getattr(o, "severity", None) == "critical"
            ]
            report.critical_messages += len(critical)
            if len(critical) != 1:
                report.received_without_critical.append(name)
    return report
