"""Monthly AWS cost of a govbot hub, from calls measured on the sandbox and public prices.

``measure()`` sends violating and compliant grants through the real pipeline (rules, SQS,
the enforcer, the ledger stream, the notifier and a loopback Slack) and counts, per event,
every Lambda invocation and DynamoDB write and read request unit govbot's clients cause
(a botocore ``before-parameter-build`` hook on the handlers' Session; a transactional item costs 2
units, an item's size is estimated from its encoded JSON, rounded up per KB). ``monthly()``
turns those figures and the stated event rates into dollars with the prices below.

Prices: AWS public list prices for us-east-1, recorded here on 2026-12-01 from the
published price pages as last known (not re-fetched: the build has no network; Lambda arm64,
DynamoDB on-demand after the November 2024 reduction, SQS standard, EventBridge, Secrets
Manager, KMS, CloudWatch). AppStream API calls are not billed. Not included: CloudTrail
(the organization trail's first copy of management events is free), data transfer, logs
beyond the stated volume, and the free tiers (so the figures are upper bounds).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

PRICE_DATE = "2026-12-01"
PRICE_REGION = "us-east-1"
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm64": 0.0000133334,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "sqs_request": 0.40 / 1e6,
    "eventbridge_cross_account_event": 1.00 / 1e6,
    "secret_month": 0.40,
    "kms_key_month": 1.00,
    "kms_request": 0.03 / 1e4,
    "alarm_month": 0.10,
    "dashboard_month": 3.00,
    "logs_ingest_gb": 0.50,
}

# Stated rates (assumptions, not measurements): per governed account and day.
EVENTS_PER_ACCOUNT_DAY = 20  # AppStream image API calls CloudTrail delivers (share/copy/...)
VIOLATING_SHARE = 0.10  # of those, grants the policy revokes
REGIONS = 2  # governed regions per account
# Fixed by the design (cdk.json defaults): sweeps and idle SQS polling.
DRIFT_SWEEPS_PER_MONTH = 30 * 24  # hourly
REPLICATION_SWEEPS_PER_MONTH = 30 * 24 * 12  # every 5 minutes
DIGEST_FLUSHES_PER_MONTH = 30 * 24 * 12  # every 5 minutes
# Lambda's SQS pollers long-poll (20 s) even when idle: ~5 pollers x 3 receives/min.
IDLE_SQS_RECEIVES_PER_QUEUE_MONTH = 5 * 3 * 60 * 24 * 30
QUEUES_POLLED = 2  # enforcer and replicator queues
MEMORY_GB = {"enforcer": 0.5, "replicator": 0.5, "notifier": 0.25, "sweeper": 1.0}
# Billed duration per invocation (ms), warm; an assumption well above the measured CPU
# (bench: enforcer core p95 ~2 ms per event; AWS round trips dominate).
DURATION_MS = {"enforcer": 300, "replicator": 300, "notifier": 300}
# The drift sweep, as measured (bench drift_sweep_3x1000x10): about 2 AppStream calls per
# image at ~20 ms each; an account+region holds at most 10 images by default quota.
IMAGES_PER_ACCOUNT_REGION = 10
SWEEP_SECONDS_PER_IMAGE = 2 * 0.020
# Counted in the synthesized templates (tests/infra/test_infra_stacksets.py checks them).
HUB_ALARMS = 14
HUB_KMS_KEYS = 1
SECRETS = 3
# Each forwarder stack (one per governed account and region, the StackSet's) holds a DLQ
# alarm and the customer-managed key of its alarm topic.
FORWARDER_ALARMS = 1
FORWARDER_KMS_KEYS = 1
LEDGER_KB_PER_EVENT = 3.0  # event, decision, action and outbox records (estimate, stated)
LOG_KB_PER_EVENT = 4.0


@dataclass(frozen=True)
class PerEvent:
    """What one event of a kind costs in requests (measured on the sandbox)."""

    enforcer_invocations: float
    notifier_invocations: float
    wru: float
    rru: float
    sqs_requests: float


def _item_kb(item: Any) -> int:
    return max(1, math.ceil(len(json.dumps(item)) / 1024))


def _units(operation: str, params: dict[str, Any]) -> tuple[float, float]:
    """(write units, read units) of one DynamoDB call (the upper bound DynamoDB bills)."""
    if operation == "PutItem":
        return _item_kb(params["Item"]), 0.0
    if operation == "UpdateItem":
        return 1.0, 0.0
    if operation == "TransactWriteItems":
        total = 0.0
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            total += 2 * (_item_kb(body["Item"]) if kind == "Put" else 1)
        return total, 0.0
    if operation in ("GetItem", "Query"):
        return 0.0, 1.0  # eventually consistent <= 4 KB: 0.5; counted as 1
    return 0.0, 0.0


def measure(events: int = 10) -> dict[str, PerEvent]:
    """Per-event requests of a violating and a compliant grant, warm, with Slack on."""
    from bench.calls import DEPLOYED_CACHES, OUTSIDER, TRUSTED, _grant
    from govbot_sandbox.fake_slack import FakeSlack
    from govbot_sandbox.sandbox import DEMO_POLICY, Sandbox

    measured: dict[str, PerEvent] = {}
    with FakeSlack() as slack, Sandbox(slack=slack, policy_path=DEMO_POLICY,
                                       environment=DEPLOYED_CACHES) as sandbox:  # fmt: skip
        units: Counter[str] = Counter()

        def count(event_name: str, params: dict[str, Any], **_: Any) -> None:
            _hook, service, operation = event_name.split(".", 2)
            if service == "dynamodb":
                wru, rru = _units(operation, params)
                units["wru"] += int(wru)
                units["rru"] += int(rru)
            elif service == "sqs":
                units["sqs"] += 1

        # before-parameter-build sees the API parameters (before-call, the serialized body).
        sandbox.session.events.register(
            "before-parameter-build", count, unique_id="govbot-bench-cost"
        )
        _grant(sandbox, "warm-up", OUTSIDER, builder=True)
        sandbox.drain()
        for kind, account, builder in (("violating", OUTSIDER, True),
                                       ("compliant", TRUSTED, False)):  # fmt: skip
            units.clear()
            for i in range(events):
                _grant(sandbox, f"{kind}-{i}", account, builder=builder)
            report = sandbox.drain()
            measured[kind] = PerEvent(
                # At a few events a minute each event is an invocation of its own (the
                # sandbox batches 10): one per event, an upper bound.
                enforcer_invocations=1.0,
                # One notifier invocation per outbox item (measured: stream INSERTs).
                notifier_invocations=round(report.notified / events, 3),
                wru=round(units["wru"] / events, 2),
                rru=round(units["rru"] / events, 2),
                # + the one send that put the event on the queue, its receive and delete
                sqs_requests=round(units["sqs"] / events + 3, 2),
            )
    return measured


def monthly(accounts: int, per_event: dict[str, PerEvent]) -> dict[str, float]:
    """Dollars per month for ``accounts`` governed accounts at the stated rates."""
    events = accounts * EVENTS_PER_ACCOUNT_DAY * 30
    kinds = {"violating": events * VIOLATING_SHARE, "compliant": events * (1 - VIOLATING_SHARE)}
    lam = sqs = dyn = 0.0
    invocations = 0.0
    gb_seconds = 0.0
    for kind, count in kinds.items():
        cost = per_event[kind]
        for function, per in (("enforcer", cost.enforcer_invocations),
                              ("notifier", cost.notifier_invocations)):  # fmt: skip
            invocations += count * per
            gb_seconds += count * per * MEMORY_GB[function] * DURATION_MS[function] / 1000
        dyn += count * (cost.wru * PRICES["dynamodb_wru"] + cost.rru * PRICES["dynamodb_rru"])
        sqs += count * cost.sqs_requests * PRICES["sqs_request"]
    for function, count in (("replicator", REPLICATION_SWEEPS_PER_MONTH),
                            ("notifier", DIGEST_FLUSHES_PER_MONTH)):  # fmt: skip
        invocations += count
        gb_seconds += count * MEMORY_GB[function] * DURATION_MS[function] / 1000
    sweep_seconds = accounts * REGIONS * IMAGES_PER_ACCOUNT_REGION * SWEEP_SECONDS_PER_IMAGE
    invocations += DRIFT_SWEEPS_PER_MONTH
    gb_seconds += DRIFT_SWEEPS_PER_MONTH * MEMORY_GB["sweeper"] * max(1.0, sweep_seconds)
    # One checkpoint write per account+region and sweep.
    dyn += DRIFT_SWEEPS_PER_MONTH * accounts * REGIONS * PRICES["dynamodb_wru"]
    lam = invocations * PRICES["lambda_request"] + gb_seconds * PRICES["lambda_gb_second_arm64"]
    sqs += QUEUES_POLLED * IDLE_SQS_RECEIVES_PER_QUEUE_MONTH * PRICES["sqs_request"]
    storage_gb = events * 13 * LEDGER_KB_PER_EVENT / 1024 / 1024  # 400-day TTL: ~13 months
    dyn += storage_gb * (PRICES["dynamodb_storage_gb_month"] + PRICES["dynamodb_pitr_gb_month"])
    # Spoke events reach the hub bus across accounts: billed as custom events.
    eventbridge = events * PRICES["eventbridge_cross_account_event"]
    fixed = (
        SECRETS * PRICES["secret_month"]
        + HUB_KMS_KEYS * PRICES["kms_key_month"]
        + HUB_ALARMS * PRICES["alarm_month"]
        + PRICES["dashboard_month"]
    )
    forwarders = (
        accounts
        * REGIONS
        * (FORWARDER_KMS_KEYS * PRICES["kms_key_month"] + FORWARDER_ALARMS * PRICES["alarm_month"])
    )
    logs = events * LOG_KB_PER_EVENT / 1024 / 1024 * PRICES["logs_ingest_gb"]
    parts = {"lambda": lam, "dynamodb": dyn, "sqs": sqs, "eventbridge": eventbridge,
             "logs": logs, "hub_fixed": fixed, "forwarders": forwarders}  # fmt: skip
    parts["total"] = sum(parts.values())
    return {k: round(v, 2) for k, v in parts.items()}


def table(per_event: dict[str, PerEvent], sizes: tuple[int, ...] = (10, 100, 1000)) -> str:
    """The docs/deploying.md cost table (markdown)."""
    head = (
        "| accounts | events/month | Lambda | DynamoDB | SQS | EventBridge | logs | hub fixed "
        "| forwarders (KMS key + alarm each) | total |"
    )
    lines = [head, "|---" * 10 + "|"]
    for n in sizes:
        m = monthly(n, per_event)
        events = n * EVENTS_PER_ACCOUNT_DAY * 30
        lines.append(
            f"| {n:,} | {events:,} | ${m['lambda']:.2f} | ${m['dynamodb']:.2f} | "
            f"${m['sqs']:.2f} | ${m['eventbridge']:.2f} | ${m['logs']:.2f} | "
            f"${m['hub_fixed']:.2f} | ${m['forwarders']:.2f} | **${m['total']:.2f}** |"
        )
    return "\n".join(lines)


def bench_cost() -> dict[str, Any]:
    """The figure for bench/results.json: measured per-event requests and the table."""
    per_event = measure()
    return {
        "per_event": {k: vars(v) for k, v in per_event.items()},
        "price_date": PRICE_DATE,
        "price_region": PRICE_REGION,
        "events_per_account_day": EVENTS_PER_ACCOUNT_DAY,
        "violating_share": VIOLATING_SHARE,
        "monthly_usd": {str(n): monthly(n, per_event) for n in (10, 100, 1000)},
        "target": "a documented monthly cost per 10, 100 and 1,000 accounts",
        "met": True,
    }


if __name__ == "__main__":
    result = bench_cost()
    print(json.dumps(result, indent=1))
    print(table({k: PerEvent(**v) for k, v in result["per_event"].items()}))
