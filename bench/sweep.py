"""The drift sweep on a large estate, through the real path, against its bound.

The real ``DriftSweep`` and ``AppStreamGateway`` make real boto3 calls that the AppStream
emulator answers in-process (``mock_appstream``), with 20 ms injected on every call; the
ledger is the real ``Ledger`` on a moto DynamoDB table. The estate is seeded through the
emulator's Python state API (no boto3), which is what makes 3,000 images quick to build.

The bound: AppStream throttles per account and region, so the fastest a sweep may go
with one call in flight per region (regions in parallel) is the busiest region's call
count x the latency. It is computed from the calls this run actually made.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from govbot.enforcer.logic import Enforcer
from govbot.enforcer.ports import EnforcerDeps
from govbot.enforcer.sweep import DriftSweep, DriftSweepReport, SweepSettings, parse_schedule
from govbot.gateways.appstream import AppStreamGateway
from govbot.ledger import Ledger
from govbot.ledger.schema import table_definition
from govbot.policy import parse_policy
from govbot.policy.judge import Judge
from govbot_sandbox import moto_threads  # noqa: F401 (moto's DynamoDB made thread-safe)
from govbot_sandbox.emulator import AppStreamEmulator, mock_appstream
from govbot_sandbox.emulator.identity import region_from_host

HUB = "123456789012"  # the emulator's default caller account
OUTSIDER = "999999999999"
TABLE = "govbot-bench-ledger"
BOT = f"arn:aws:sts::{HUB}:assumed-role/govbot-sweeper/bench"
TRUSTED = tuple(f"1000000000{i:02d}" for i in range(10))
POLICY = "\n".join(
    [
        "version: 1",
        "mode: enforce",
        "trusted_accounts:",
        *(f'  - id: "{account}"\n    name: partner-{n}' for n, account in enumerate(TRUSTED)),
        "rules:",
        "  - id: no-untrusted-builders",
        "    type: no_image_builder_for_untrusted",
    ]
)


@dataclass(frozen=True)
class Estate:
    """``images`` private images per region, each shared with ``shares`` accounts; every
    ``drift_every``-th one also grants image-builder to an outsider (the drift to fix)."""

    regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-southeast-2")
    images: int = 1000
    shares: int = 10
    drift_every: int = 100

    def seed(self, emulator: AppStreamEmulator) -> set[str]:
        """Create the images in the emulator's state; the ARNs that drifted."""
        drifted: set[str] = set()
        for region in self.regions:
            for i in range(self.images):
                shared = dict.fromkeys(TRUSTED[: self.shares], (True, True))
                if i % self.drift_every == 0:
                    shared.popitem()
                    shared[OUTSIDER] = (True, True)
                arn = emulator.backend.seed_image(HUB, region, f"app-{i:04d}", shared_with=shared)
                if OUTSIDER in shared:
                    drifted.add(arn)
        return drifted


@dataclass
class CallMeter:
    """AppStream calls per region, and the most ever in flight in one region at once."""

    calls: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak_in_flight: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, emulator: AppStreamEmulator) -> None:
        """Count every exchange the emulator answers (in-process, so nothing is missed)."""
        answer = emulator.handle

        def counted(method: str, url: str, headers: Mapping[str, Any], body: Any, **kw: Any) -> Any:
            region = region_from_host(url) or "?"
            target = str(dict(headers).get("X-Amz-Target", ""))
            with self.lock:
                self.calls[region] += 1
                if target.endswith(("UpdateImagePermissions", "DeleteImagePermissions")):
                    self.writes[region] += 1
                self.in_flight[region] += 1
                self.peak_in_flight[region] = max(
                    self.peak_in_flight[region], self.in_flight[region]
                )
            try:
                return answer(method, url, headers, body, **kw)
            finally:
                with self.lock:
                    self.in_flight[region] -= 1

        emulator.handle = counted  # type: ignore[method-assign]


@dataclass
class SweepWorld:
    """Everything one benchmark (or test) run needs, built inside the mocks."""

    emulator: AppStreamEmulator
    ledger: Ledger
    sweep: DriftSweep
    meter: CallMeter
    drifted: set[str]
    estate: Estate


@contextmanager
def sweep_world(
    estate: Estate,
    *,
    latency: float = 0.0,
    settings: SweepSettings | None = None,
) -> Iterator[SweepWorld]:
    """The estate seeded in an emulator, a moto ledger, and a real sweep over both."""
    emulator = AppStreamEmulator(sinks=[])
    with mock_aws(), mock_appstream(emulator):
        session = boto3.session.Session(region_name=estate.regions[0])
        ddb = session.client("dynamodb")
        # The real table's definition without its stream: moto deep-copies a table, stream
        # records included, on every TransactWriteItems, which grows with every write and
        # would measure moto, not govbot (the sweep never reads the stream).
        definition = dict(table_definition(TABLE))
        definition.pop("StreamSpecification", None)
        ddb.create_table(**definition)
        drifted = estate.seed(emulator)
        if latency:
            emulator.faults.set("*", latency=latency)
        meter = CallMeter()
        meter.wrap(emulator)
        ledger = Ledger(TABLE, client=ddb)
        policy = parse_policy(POLICY, source="bench")
        gateway = AppStreamGateway(session)
        enforcer = Enforcer(
            EnforcerDeps(
                appstream=gateway,
                ledger=ledger,
                judge=Judge(lambda: policy),
                governed_accounts=frozenset({HUB}),
                governed_regions=frozenset(estate.regions),
                bot_principal_arn=BOT,
            )
        )
        sweep = DriftSweep(enforcer, gateway, settings=settings)
        yield SweepWorld(emulator, ledger, sweep, meter, drifted, estate)


def invoke(
    world: SweepWorld, event_id: str, remaining_ms: Callable[[], int] | None
) -> DriftSweepReport:
    """One scheduled invocation of the sweep, as the schedule sends it."""
    event = {
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": HUB,
        "region": world.estate.regions[0],
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [f"arn:aws:events:us-east-1:{HUB}:rule/govbot-drift-sweep"],
    }
    return world.sweep.run(parse_schedule(event, datetime.now(UTC)), remaining_ms)


def lambda_clock(limit_s: float) -> Callable[[], int]:
    """``get_remaining_time_in_millis`` of an invocation with ``limit_s`` seconds."""
    deadline = time.monotonic() + limit_s
    return lambda: int((deadline - time.monotonic()) * 1000)


def remedied_arns(world: SweepWorld) -> Counter[str]:
    """How many permission writes each image received (from the emulator's CloudTrail)."""
    return Counter(
        str(e["detail"]["requestParameters"].get("name")) + "@" + str(e["detail"].get("awsRegion"))
        for e in world.emulator.events.events
        if e["detail"]["eventName"] in ("UpdateImagePermissions", "DeleteImagePermissions")
    )


def bench_sweep_bound(estate: Estate | None = None, latency: float = 0.02) -> dict[str, Any]:
    """One pass of the 3 x 1,000 x 10 estate, nothing cut short: wall time vs the bound."""
    estate = estate or Estate()
    settings = SweepSettings()
    with sweep_world(estate, latency=latency, settings=settings) as world:
        load_before = os.getloadavg()[0]
        cpu_start, start = time.process_time(), time.perf_counter()
        report = invoke(world, "bench-pass", None)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        meter = world.meter
        writes = remedied_arns(world)
        found = {f.image_arn for f in report.findings}
    busiest = max(meter.calls.values())
    bound = busiest * latency
    ratio = elapsed / bound
    return {
        "estate": f"{len(estate.regions)} regions x {estate.images} images x {estate.shares} "
        f"shares, 1 in {estate.drift_every} drifted",
        "latency_ms_per_call": latency * 1000,
        "calls_in_flight_per_region": settings.calls_in_flight,
        "appstream_calls_by_region": dict(sorted(meter.calls.items())),
        "peak_calls_in_flight_by_region": dict(sorted(meter.peak_in_flight.items())),
        "seconds": round(elapsed, 2),
        "bound_seconds": round(bound, 2),
        "ratio_to_bound": round(ratio, 3),
        # The CPU this process used meanwhile (botocore, the in-process emulator, moto,
        # govbot: one GIL) and the machine's load: above the core count, the run waited
        # for CPU, not for AppStream.
        "process_cpu_seconds": round(cpu, 2),
        "load_average_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "cpu_cores": os.cpu_count(),
        "images_swept": report.images,
        "drifted_found": len(found),
        "remedies": sum(writes.values()),
        "target": "<= 1.3x the bound (busiest region's calls x 20 ms: one call in flight per "
        "region, regions in parallel); every drifted image found and remedied exactly once; "
        f"never more than {settings.calls_in_flight} calls in flight per region",
        "met": ratio <= 1.3
        and found == world.drifted
        and len(writes) == len(world.drifted)
        and set(writes.values()) == {1}
        and max(meter.peak_in_flight.values()) <= settings.calls_in_flight,
    }


def bench_sweep_invocation_limit(
    estate: Estate | None = None,
    latency: float = 0.02,
    limit_s: float = 60.0,
    settings: SweepSettings | None = None,
) -> dict[str, Any]:
    """The same estate with a Lambda-like time limit per invocation: invocations until the
    pass closes, every region swept, each drifted image remedied once."""
    estate = estate or Estate()
    settings = settings or SweepSettings()
    with sweep_world(estate, latency=latency, settings=settings) as world:
        reports: list[DriftSweepReport] = []
        start = time.perf_counter()
        for n in range(50):
            reports.append(invoke(world, f"tick-{n}", lambda_clock(limit_s)))
            if reports[-1].pass_closed:
                break
        elapsed = time.perf_counter() - start
        writes = remedied_arns(world)
        last = reports[-1]
        found = {f.image_arn for f in last.findings}
    swept_all = sorted(last.swept) == sorted(f"{HUB}/{r}" for r in estate.regions)
    return {
        "estate": f"{len(estate.regions)} regions x {estate.images} images x {estate.shares} "
        "shares",
        "invocation_limit_seconds": limit_s,
        "reserve_seconds": settings.reserve_ms / 1000,
        "calls_in_flight_per_region": settings.calls_in_flight,
        "invocations": len(reports),
        "pass_closed": last.pass_closed,
        "regions_swept": last.swept,
        "images_swept": last.images,
        "drifted_found": len(found),
        "remedies": sum(writes.values()),
        "seconds": round(elapsed, 2),
        "target": "every region swept within the pass (across invocations if need be), each "
        "drifted image remedied exactly once, one drift notification",
        "met": last.pass_closed
        and swept_all
        and found == world.drifted
        and len(writes) == len(world.drifted)
        and set(writes.values()) == {1},
    }
