"""Races through the real sandbox path (issue 18): a remedy against the owner's delete, and
one event delivered to two invocations at once; 100 trials each, real threads, the
emulator's latency hook holding govbot's remedy in flight (see govbot_sandbox.races)."""

from __future__ import annotations

from typing import Any

from govbot_sandbox.races import duplicate_delivery, remedy_against_delete
from govbot_sandbox.sandbox import Sandbox


def bench_remedy_against_owner_delete(trials: int = 100) -> dict[str, Any]:
    """Half the trials with the owner's delete handled after govbot's write, half while it
    is in flight; target: the outsider ends with no access in every trial."""
    first = trials // 2
    reports = []
    for timing, count in (("after_the_write", first), ("during_the_write", trials - first)):
        with Sandbox(notify=False) as sandbox:
            reports.append(remedy_against_delete(sandbox, count, timing))  # type: ignore[arg-type]
    left = sum(len(r.outsider_access_left) for r in reports)
    wrong = sum(len(r.messages_wrong) for r in reports)
    raced = sum(r.raced for r in reports)
    return {
        "trials": trials,
        "by_timing": {
            r.timing: {
                "trials": r.trials,
                "raced": r.raced,
                "outsider_access_left": len(r.outsider_access_left),
                "undone_right_after_the_write": r.undone_by_remedy,
                "undone_on_the_owners_delete": r.undone_on_delete,
                "stop_sharing_messages_wrong": len(r.messages_wrong),
                "dead_lettered": r.dead_lettered,
                "sandbox_seconds": r.seconds,
            }
            for r in reports
        },
        "outsider_without_access": trials - left,
        "target": "the outsider ends with no access in 100/100 trials where govbot's remedy "
        "landed after the owner's delete; every stop-sharing message matches the end state",
        "met": left == 0 and wrong == 0 and raced == trials,
    }


def bench_duplicate_delivery(trials: int = 100) -> dict[str, Any]:
    """Each violating event handed to two enforcer invocations at the same instant."""
    with Sandbox(notify=False) as sandbox:
        report = duplicate_delivery(sandbox, trials)
    return {
        "trials": trials,
        "invocations": dict(report.outcomes),
        "remedies_doubled": len(report.doubled),
        "left_unremedied": len(report.unremedied),
        "orphaned_started_actions": len(report.orphaned_started),
        "event_statuses": dict(report.statuses),
        "sandbox_seconds": report.seconds,
        "target": "0 doubled remedies in 100 trials, none left unremedied, no `started` "
        "action orphaned, every event processed",
        "met": not report.doubled
        and not report.unremedied
        and not report.orphaned_started
        and report.statuses == {"processed": trials},
    }
