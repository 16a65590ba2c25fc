"""Exposure time: how long a forbidden grant stood before govbot revoked it.

For every revoke govbot made (a succeeded UpdateImagePermissions or DeleteImagePermissions
action), the time from the person's call (the CloudTrail ``eventTime`` the ledger keeps as
the event's ``occurred_at``) to the remedy (the action's ``recorded_at``). An image-builder
permission can be used while it stands, so this is the window a security lead must know.
Pure: the command reads the ledger, this module only computes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from govbot.ledger import ActionRecord, DecisionRecord, EventRecord, format_ts

REVOKING_OPERATIONS = frozenset({"UpdateImagePermissions", "DeleteImagePermissions"})


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in (0, 1]) of a non-empty sequence.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.95)
    (2.0, 4.0)
    """
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def iso_week(moment: datetime) -> str:
    """``2026-W49``: the ISO week of ``moment`` (weeks start on Monday)."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _rules_of(decisions: Sequence[DecisionRecord]) -> dict[tuple[str, str], list[str]]:
    """Violated rules per (event id, account), sorted."""
    rules: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in decisions:
        if d.outcome == "violation":
            rules[(d.event_id, d.account_id)].add(d.rule_id)
    return {key: sorted(ids) for key, ids in rules.items()}


def exposure_rows(
    events: Sequence[EventRecord],
    decisions: Sequence[DecisionRecord],
    actions: Sequence[ActionRecord],
) -> list[dict[str, Any]]:
    """One row per revoke whose call time is known, oldest call first."""
    called = {e.event_id: e.occurred_at for e in events if e.occurred_at is not None}
    rules = _rules_of(decisions)
    rows = []
    for action in actions:
        if action.operation not in REVOKING_OPERATIONS or action.status != "succeeded":
            continue
        call, remedy = called.get(action.event_id), action.recorded_at
        if call is None or remedy is None:
            continue  # the event is outside the period or has no eventTime: no honest figure
        account = action.shared_account_id or "-"
        rows.append(
            {
                "event_id": action.event_id,
                "image_arn": action.image_arn,
                "region": action.region,
                "shared_account_id": action.shared_account_id,
                "operation": action.operation,
                "rule_ids": rules.get((action.event_id, account), []),
                "called_at": format_ts(call),
                "remedied_at": format_ts(remedy),
                "seconds": round(max(0.0, (remedy - call).total_seconds()), 3),
                "week": iso_week(call),
            }
        )
    return sorted(rows, key=lambda r: (r["called_at"], r["event_id"]))


def _stats(groups: dict[str, list[float]], key: str) -> list[dict[str, Any]]:
    return [
        {
            key: name,
            "revokes": len(values),
            "p50_seconds": percentile(values, 0.5),
            "p95_seconds": percentile(values, 0.95),
            "max_seconds": max(values),
        }
        for name, values in sorted(groups.items())
    ]


def exposure_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every revoke, and p50/p95 of the exposure per ISO week and per rule."""
    by_week: dict[str, list[float]] = defaultdict(list)
    by_rule: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_week[row["week"]].append(row["seconds"])
        for rule in row["rule_ids"] or ["(no rule recorded)"]:
            by_rule[rule].append(row["seconds"])
    return {
        "revokes": list(rows),
        "by_week": _stats(by_week, "week"),
        "by_rule": _stats(by_rule, "rule_id"),
    }
