"""``make bench``: speed and memory of govbot's hot paths, checked against targets.

Results go to ``bench/results.json`` (committed, so a change that slows govbot shows up in
review). Targets are checked here, never by timed assertions in tests. Numbers are from
the machine that ran the benchmark; the file records which.
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.assets import bench_asset_sizes
from bench.burst import bench_burst_memory
from bench.calls import DEPLOYED_CACHES, SessionCalls, bench_calls_per_event
from bench.coldstart import bench_cold_start
from bench.cost import bench_cost
from bench.notifier import bench_notifier_and_actions
from bench.races import bench_duplicate_delivery, bench_remedy_against_owner_delete
from bench.suite import bench_fresh_clone_suite
from bench.sweep import bench_sweep_bound, bench_sweep_invocation_limit
from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.policy.engine import evaluate
from govbot.policy.loader import load_policy
from govbot_sandbox.sandbox import BOT_PRINCIPAL, DEMO_POLICY, HUB_ACCOUNT, Sandbox

RESULTS = Path(__file__).resolve().parent / "results.json"
REGION = "us-east-1"


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def bench_policy_evaluation(rounds: int = 2000) -> dict[str, Any]:
    """One image shared with 100 accounts (the AppStream cap), every demo rule applied."""
    policy = load_policy(DEMO_POLICY)
    shares = tuple(
        SharedAccountPermission(
            account_id=f"{100000000000 + i}",
            permissions=Permissions(allow_fleet=True, allow_image_builder=i % 2 == 0),
        )
        for i in range(100)
    )
    image = ImageSnapshot(
        ref=ImageRef(account_id=HUB_ACCOUNT, region=REGION, name="prod-app"),
        tags={"classification": "internal"},
        shared_with=shares,
    )
    now = datetime.now(UTC)
    samples: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        evaluation = evaluate(image, policy, now)
        evaluation.enforced_changes()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "rounds": rounds,
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(_percentile(samples, 95), 3),
        "target": "p95 < 20 ms for an image with 100 shared accounts",
        "met": _percentile(samples, 95) < 20,
    }


def bench_enforcer_core(events: int = 1000) -> dict[str, Any]:
    """govbot's own cost per violating event: parse, evaluate, plan, record (in-memory ports).

    The AppStream and ledger ports are the in-memory fakes of tests/fakes, so this measures
    govbot's code alone; network round trips are counted by the pipeline benchmark.
    """
    from tests.unit.enforcer.builders import OUTSIDER, perms, ref, share_event, world

    w = world()
    bodies = []
    for i in range(events):
        name = f"bench-{i}"
        w.appstream.seed(ref(name), {OUTSIDER: perms(fleet=True, builder=True)})
        bodies.append(
            json.dumps(share_event(name, OUTSIDER, fleet=True, builder=True, event_id=f"ev-{i}"))
        )
    tracemalloc.start()
    samples: list[float] = []
    for body in bodies:
        start = time.perf_counter()
        result = w.enforcer.handle(body)
        samples.append((time.perf_counter() - start) * 1000)
        assert result.status == "processed", result
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_event_kb = peak / events / 1024
    return {
        "events": events,
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(_percentile(samples, 95), 3),
        "traced_peak_kb_per_event_incl_fake_ledger": round(per_event_kb, 1),
        "target": "p95 < 10 ms of govbot CPU per violating event (tracemalloc on); traced "
        "memory < 64 KB per event, fake ledger's records included (so 1,000 events fit well "
        "inside the enforcer's 512 MB)",
        "met": _percentile(samples, 95) < 10 and per_event_kb < 64,
    }


def bench_notifier_storm(violations: int = 200) -> dict[str, Any]:
    """200 violations in one minute through the notifier: messages sent, cost per item.

    In-memory ledger and storm store (tests/fakes), so the figures are govbot's:
    rendering, routing, storm control and bookkeeping, not DynamoDB or Slack latency.
    """
    from govbot.notifier.delivery import NotifierDeps, deliver_stream_batch
    from tests.fakes import FakeLedger, InMemoryWindowStore, RecordingSink
    from tests.unit.notify.builders import outbox, policy, stream_event

    items = [outbox(n, image_name=f"img-{n % 7}") for n in range(violations)]
    ledger, sink = FakeLedger(records=items), RecordingSink()
    start_time = datetime.now(UTC)
    deps = NotifierDeps(
        ledger=ledger,
        notifications=policy().notifications,
        sink=sink,
        windows=InMemoryWindowStore(),
        clock=lambda: start_time,
    )
    samples: list[float] = []
    for first in range(0, violations, 10):  # stream batches of 10, as deployed
        start = time.perf_counter()
        deliver_stream_batch(stream_event(items[first : first + 10], start_seq=first), deps)
        samples.append((time.perf_counter() - start) * 1000 / 10)
    sent_in_window = len(sink.sent)
    later = start_time + timedelta(seconds=deps.notifications.storm.window_seconds + 1)
    deps.clock = lambda: later
    deliver_stream_batch({"Records": []}, deps)  # the window ends: its digest goes out
    cap = deps.notifications.storm.max_messages
    return {
        "violations": violations,
        "slack_messages_in_window": sent_in_window,
        "slack_messages_total": len(sink.sent),
        "mean_ms_per_item": round(statistics.fmean(samples), 3),
        "p95_ms_per_item": round(_percentile(samples, 95), 3),
        "target": f"at most {cap} messages in the window plus one digest; p95 < 20 ms per "
        "item (render, route, storm control, bookkeeping)",
        "met": sent_in_window <= cap
        and len(sink.sent) == sent_in_window + 1
        and _percentile(samples, 95) < 20,
    }


def bench_enforcement_pipeline(events: int = 50) -> dict[str, Any]:
    """Violating shares through EventBridge -> SQS -> enforcer -> AppStream remedy -> ledger.

    Wall time here is dominated by moto's DynamoDB emulation, so the figures that carry
    over to AWS are the API calls per event (each a network round trip there) and memory.
    Calls are govbot's own (a hook on the handlers' boto3 Session), the deployed cache
    ages on; the first event of the container (policy, Organization, exemptions) included.
    """
    with Sandbox(notify=False, environment=DEPLOYED_CACHES) as sandbox:
        counter = SessionCalls(sandbox.session)
        client = sandbox.appstream(REGION)
        for i in range(events):
            name = f"bench-{i}"
            sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, name)
            client.update_image_permissions(
                Name=name,
                SharedAccountId="999999999999",
                ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
            )
        counter.take()
        start = time.perf_counter()
        report = sandbox.drain(max_rounds=events)
        elapsed = time.perf_counter() - start
        calls = counter.take()
        remedied = sum(
            1
            for e in sandbox.emulator.events.events
            if e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL and not e["detail"]["readOnly"]
        )
    by_service: Counter[str] = Counter()
    for (service, _), count in calls.items():
        by_service[service] += count
    exemption_age = int(DEPLOYED_CACHES["EXEMPTIONS_CACHE_SECONDS"])
    per_violation = {svc: round(n / events, 2) for svc, n in sorted(by_service.items())}
    appstream = per_violation.get("appstream", 0.0)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_record_ms = elapsed / max(1, report.records) * 1000
    return {
        "violating_events": events,
        "records_handled": report.records,
        "remedies": remedied,
        "sandbox_seconds": round(elapsed, 3),
        "sandbox_ms_per_record": round(per_record_ms, 2),
        "aws_calls_per_violating_event": per_violation,
        # Informational: moto deep-copies each touched table on every TransactWriteItems
        # (for rollback), so the sandbox's memory grows with the ledger; AWS does not.
        "sandbox_peak_rss_mb": round(peak_rss_mb, 1),
        "target": "every violation remedied, each record a person's call (govbot's own "
        "echoes never delivered); per violating event 4 DynamoDB writes (claim, event with "
        "intent, share fence, commit) and at most 4 AppStream calls (share list, tags, "
        "re-read before the remedy, remedy); besides, per container, the policy and "
        "Organization once and the exemptions once per cache age",
        "dynamodb_calls_by_operation": {
            op: n for (svc, op), n in sorted(calls.items()) if svc == "dynamodb"
        },
        # Per event: exactly its four writes. Per container: the Slack exemptions, read once
        # per EXEMPTIONS_CACHE_SECONDS (moto makes this run last longer than that).
        "met": remedied == events
        and report.records == events
        and calls[("dynamodb", "PutItem")] == 2 * events
        and calls[("dynamodb", "UpdateItem")] == events
        and calls[("dynamodb", "TransactWriteItems")] == events
        and calls[("dynamodb", "Query")] <= 1 + elapsed // exemption_age
        and by_service["dynamodb"] == 4 * events + calls[("dynamodb", "Query")]
        and appstream <= 4,
    }


def bench_emulator_http(calls: int = 300) -> dict[str, Any]:
    """DescribeImages through the loopback HTTP server with an unmodified boto3 client."""
    import boto3

    with Sandbox() as sandbox:
        for i in range(30):
            sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, f"img-{i}")
        with sandbox.emulator.serve() as server:
            client = boto3.client(
                "appstream",
                region_name=REGION,
                endpoint_url=server.endpoint_url,
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
            )
            samples: list[float] = []
            for _ in range(calls):
                start = time.perf_counter()
                client.describe_images(Type="PRIVATE", MaxResults=25)
                samples.append((time.perf_counter() - start) * 1000)
    return {
        "calls": calls,
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(_percentile(samples, 95), 3),
        "target": "p95 < 50 ms per call on loopback",
        "met": _percentile(samples, 95) < 50,
    }


def bench_throttling_storm(events: int = 100, throttle_rate: float = 0.5) -> dict[str, Any]:
    """Violating grants with half of every AppStream call throttled, the queue redelivering
    as many times as the deployed one allows; baseline: the same burst unthrottled."""
    from govbot_sandbox.sandbox import MAX_RECEIVE_COUNT
    from govbot_sandbox.storm import run_storm

    with Sandbox(notify=False) as sandbox:
        calm = run_storm(sandbox, events, 0.0)
    with Sandbox(notify=False) as sandbox:
        storm = run_storm(sandbox, events, throttle_rate)
    return {
        "violating_events": events,
        "throttle_rate": throttle_rate,
        "max_receive_count": MAX_RECEIVE_COUNT,
        "throttled_calls": storm.throttled_calls,
        "records_handled": storm.records_handled,
        "forbidden_left": len(storm.forbidden_left),
        "dead_lettered": storm.dead_lettered,
        "remedies_doubled": len(storm.doubled),
        "event_statuses": dict(storm.statuses),
        "sandbox_seconds": storm.seconds,
        "unthrottled_seconds": calm.seconds,
        "slowdown_vs_unthrottled": round(storm.seconds / max(calm.seconds, 1e-9), 2),
        "target": "after the queues drain: zero forbidden permissions left, DLQ empty, no "
        "remedy doubled, every grant processed",
        "met": not storm.forbidden_left
        and storm.dead_lettered == 0
        and not storm.doubled
        and storm.statuses == {"processed": events}
        and calm.statuses == {"processed": events},
    }


BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "policy_evaluation_100_accounts": bench_policy_evaluation,
    "enforcer_core_in_memory": bench_enforcer_core,
    "notifier_storm_200_violations": bench_notifier_storm,
    "enforcement_pipeline_50_events": bench_enforcement_pipeline,
    "aws_calls_per_event_kind": bench_calls_per_event,
    "emulator_http_describe_images": bench_emulator_http,
    "drift_sweep_3x1000x10_vs_bound": bench_sweep_bound,
    "drift_sweep_3x1000x10_60s_invocations": bench_sweep_invocation_limit,
    "lambda_asset_zipped_size": bench_asset_sizes,
    "cold_start_handlers": bench_cold_start,
    "enforcer_burst_10000_events_memory": bench_burst_memory,
    "throttling_storm_100_events": bench_throttling_storm,
    "monthly_cost_10_100_1000_accounts": bench_cost,
    "race_remedy_vs_owner_delete_100": bench_remedy_against_owner_delete,
    "race_duplicate_delivery_100": bench_duplicate_delivery,
    "notifier_exactly_once_and_actions_flood": bench_notifier_and_actions,
    "fresh_clone_make_test": bench_fresh_clone_suite,
}
# Run only when named (``make suite-time``): each runs the whole test suite.
ONLY_WHEN_NAMED = {"fresh_clone_make_test"}


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark (or those named), write the results, exit 1 if a target was missed.

    Named benchmarks (``python -m bench.run NAME...``) replace only their own entries.
    """
    names = list(sys.argv[1:] if argv is None else argv)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(
            f"bench: unknown benchmark(s) {unknown}; expected some of {sorted(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    previous = json.loads(RESULTS.read_text()).get("benchmarks", {}) if names else {}
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()} {platform.system()} ({platform.processor() or 'cpu'})",
        "benchmarks": dict(previous),
    }
    for name, bench in BENCHMARKS.items():
        if (names and name not in names) or (not names and name in ONLY_WHEN_NAMED):
            continue
        print(f"running {name} ...", flush=True)
        outcome = bench()
        results["benchmarks"][name] = outcome
        print(f"  {json.dumps(outcome)}", flush=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    missed = [n for n, r in results["benchmarks"].items() if not r["met"]]
    print(f"results written to {RESULTS}")
    if missed:
        print(f"targets missed: {', '.join(missed)}")
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
