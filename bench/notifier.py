"""Issue 18 (findings 4 and 7): the notifier under kills, a slow or silent Slack and 30%
ledger faults; the actions endpoint under a forged flood.

Both run on the sandbox (moto, the loopback fake Slack, real threads); every figure is
counted from Slack's side (what the fake Slack accepted) and the ledger, never from logs.
"""

from __future__ import annotations

import time
from typing import Any

from govbot_sandbox.actions_flood import run_flood
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.notifier_chaos import (
    NotifierKills,
    StreamService,
    chaos_policy,
    slack_tally,
    write_messages,
)
from govbot_sandbox.sandbox import Sandbox

DEMO_APPROVER = "U0DEMO0001"  # policies/demo.yaml approvers


def bench_notifier_chaos(
    messages: int = 50,
    ledger_fault_rate: float = 0.3,
    kill_rate: float = 0.02,
    silent_every: int = 10,
    slack_delay: float = 0.05,
) -> dict[str, Any]:
    """``messages`` outbox items through the stream mapping and the schedule while the
    notifier's ledger calls fail at ``ledger_fault_rate``, its process dies at ``kill_rate``
    of them, Slack answers ``slack_delay`` s late and every ``silent_every``-th message's
    first post is accepted but never answered."""
    with FakeSlack() as slack, Sandbox(slack=slack, clock=ManualClock(), notify=False) as box:
        box.put_policy(chaos_policy())
        kills = NotifierKills(box)
        ids = write_messages(box, messages, prefix="bench")
        silent = ids[::silent_every]
        slack.post_without_answer(*silent)
        slack.slow_down(slack_delay)
        box.dynamodb_faults.set("*", transient_rate=ledger_fault_rate)
        kills.at_random(kill_rate, seed=18)
        service = StreamService(box)
        start = time.perf_counter()
        rounds = service.run(ids, max_rounds=80)
        seconds = time.perf_counter() - start
        kills.at_random(0.0)
        box.dynamodb_faults.set("*", transient_rate=0.0)
        faults = sum(box.dynamodb_faults.counters.values())
        tally = slack_tally(box, slack, ids)
        kills.uninstall()
    duplicated = tally.duplicated
    return {
        "messages": messages,
        "ledger_fault_rate": ledger_fault_rate,
        "ledger_faults_injected": faults,
        "process_deaths": len(kills.fired),
        "posts_left_unanswered": len(silent),
        "slack_delay_seconds": slack_delay,
        "delivered": tally.delivered,
        "statuses": dict(tally.statuses),
        "messages_posted_twice": len(duplicated),
        "messages_posted_more_than_twice": len(tally.over_one_duplicate),
        "duplicates_marked_and_recorded": len(duplicated) - len(tally.unrecorded_duplicates),
        "stream_invocations": service.invocations,
        "schedule_rounds": rounds,
        "sandbox_seconds": round(seconds, 2),
        "target": "every message delivered (Slack accepted it, ledger says delivered); at "
        "most one duplicate per message, each marked in the message and counted in the ledger",
        "met": tally.delivered == messages
        and tally.statuses == {"delivered": messages}
        and not tally.over_one_duplicate
        and not tally.unrecorded_duplicates,
    }


def bench_actions_flood(forgers: int = 8, real_clicks: int = 20, concurrency: int = 5) -> dict:
    """``forgers`` threads send forged requests while an approver clicks ``real_clicks``
    times; Lambda's reserved concurrency is played at ``concurrency`` (the old setting, the
    harder case), the ledger answers 50 ms late."""
    with FakeSlack() as slack, Sandbox(slack=slack, notify=False) as box:
        report = run_flood(
            box, DEMO_APPROVER, forgers=forgers, real_clicks=real_clicks, concurrency=concurrency
        )
        refused = box.ledger.events_by_status("rejected")
    forged_records = [e for e in refused if e.event_name != "SlackActionRefused"]
    return {
        "forgers": forgers,
        "reserved_concurrency": concurrency,
        "forged_requests": report.forged_sent,
        "forged_statuses": {str(k): v for k, v in sorted(report.forged_statuses.items())},
        "lambda_throttles": report.throttled,
        "real_clicks": report.real_clicks,
        "real_clicks_served": report.real_served,
        "real_clicks_served_ratio": round(report.served_ratio, 3),
        "ledger_records_of_forgeries": len(forged_records),
        "sampled_refusal_notes": len(refused) - len(forged_records),
        "target": "at least 95% of real clicks served through the flood; no ledger record per "
        "forged request (at most one sampled note a minute per container)",
        "met": report.served_ratio >= 0.95 and not forged_records,
    }


def bench_notifier_and_actions() -> dict[str, Any]:
    """Both figures under one key."""
    notifier = bench_notifier_chaos()
    flood = bench_actions_flood()
    return {
        "notifier_kills_slow_silent_slack_30pct_ledger_faults": notifier,
        "actions_forged_flood": flood,
        "met": bool(notifier["met"] and flood["met"]),
    }
