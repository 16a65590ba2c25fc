"""Crash safety: confirm or fail the remedies a previous attempt started but never committed.

A remedy is written ``started`` (with why) before the AppStream call; if the Lambda dies
before the commit, the retry finds it here and the ledger story is completed, not lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from govbot.domain import ImageSnapshot, Permissions
from govbot.events import ParsedEvent
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle
from govbot.policy.results import Evaluation, PermissionChange

# The error of a ``started`` action found undone on retry (the retry re-evaluates instead).
INTERRUPTED = "interrupted before completion; re-evaluated"


def recovered_actions(bundle: EventBundle, snapshot: ImageSnapshot) -> list[ActionRecord]:
    """Actions a crashed earlier attempt started: confirm them against current state."""
    recovered: list[ActionRecord] = []
    for action in bundle.actions:
        if action.status != "started" or action.shared_account_id is None:
            continue
        wanted = Permissions.model_validate(action.request.get("after", {}))
        current = snapshot.permissions_of(action.shared_account_id)
        if current == wanted:
            recovered.append(finalize(action, "succeeded", None, "confirmed on retry"))
        else:
            recovered.append(finalize(action, "failed", INTERRUPTED))
    return recovered


# The note of a remedy that succeeded on an attempt whose event was not committed (another
# remedy of the same event failed transiently and SQS delivered the event again).
EARLIER_ATTEMPT = "succeeded on an earlier attempt"
CARRIED_NOTES = ("confirmed on retry", EARLIER_ATTEMPT)


def earlier_successes(bundle: EventBundle) -> list[ActionRecord]:
    """Remedies an earlier, uncommitted attempt made: reported with this attempt's outcome."""
    return [
        finalize(action, "succeeded", None, action.request.get("note") or EARLIER_ATTEMPT)
        for action in bundle.actions
        if action.status == "succeeded"
    ]


def finalize(
    action: ActionRecord,
    status: Literal["succeeded", "failed", "skipped"],
    error: str | None = None,
    note: str | None = None,
) -> ActionRecord:
    request = dict(action.request)
    if note:
        request["note"] = note
    return action.model_copy(
        update={"status": status, "error": error, "request": request, "recorded_at": None}
    )


def with_violations(
    request: dict[str, Any], change: PermissionChange, evaluation: Evaluation
) -> dict[str, Any]:
    """Add which rule removed which permission, so a retry can rebuild exact decisions."""
    request["violations"] = [
        {
            "rule_id": v.rule_id,
            "permission": v.permission,
            "reason": v.reason,
            "severity": v.severity,
        }
        for v in evaluation.verdicts
        if v.is_enforced and v.account_id == change.account_id
    ]
    return request


def recovered_decisions(
    event: ParsedEvent, actions: Sequence[ActionRecord], decisions: Sequence[DecisionRecord]
) -> list[DecisionRecord]:
    """Violation decisions for remedies confirmed on retry (the re-read no longer sees them)."""
    # Any decision already made on the same key wins: a transaction may not hold it twice.
    seen = {(d.rule_id, d.account_id, d.permission) for d in decisions}
    extra: list[DecisionRecord] = []
    for action in actions:
        if action.request.get("note") not in CARRIED_NOTES or not action.shared_account_id:
            continue
        # Intents written before "violations" existed only know rules and reasons.
        entries = action.request.get("violations") or [
            {"rule_id": rule_id, "permission": "share", "reason": reason}
            for rule_id, reason in zip(
                action.request.get("rule_ids", []),
                action.request.get("reasons", []),
                strict=False,
            )
        ]
        for entry in entries:
            key = (entry["rule_id"], action.shared_account_id, entry["permission"])
            if key in seen:
                continue
            seen.add(key)
            extra.append(
                DecisionRecord(
                    event_id=event.event_id,
                    rule_id=entry["rule_id"],
                    account_id=action.shared_account_id,
                    permission=entry["permission"],
                    outcome="violation",
                    mode="enforce",
                    reason=entry["reason"],
                    image_arn=action.image_arn,
                    region=event.region,
                    actor_arn=event.actor_arn,
                )
            )
    return extra
