"""The drift sweep's run summary: what each image's sweep found, as one bounded message (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govbot.domain import highest_severity
from govbot.enforcer.outcomes import IMAGE_LEVEL
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import DriftDetails, DriftEntry, DriftLine
from govbot.ledger.records.events import ActionRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import DriftFound

MAX_DRIFT_LINES = 20  # what the Slack renderer shows; the rest is counted, not listed
MAX_DRIFT_ERRORS = 10


@dataclass(frozen=True)
class LeftViolation:
    """A violation the sweep reported but left in place (audit mode or report-only)."""

    rule_id: str
    account_id: str | None
    permission: str | None
    severity: str = "medium"  # the rule's, from the policy


@dataclass(frozen=True)
class DriftFinding:
    """What one image's sweep enforcement found and did (under its synthetic event)."""

    image_arn: str
    image_name: str
    region: str
    owner_account_id: str
    event_id: str
    remedies: tuple[ActionRecord, ...] = ()
    left: tuple[LeftViolation, ...] = ()


@dataclass(frozen=True)
class DriftRun:
    """Identity of one sweep run (from the scheduled event) for its summary record."""

    event_id: str
    actor_arn: str
    region: str
    account_id: str
    occurred_at: datetime


def permissions_text(permissions: Mapping[str, Any]) -> str:
    """``{"allow_fleet": True, ...}`` as people say it: "fleet + image builder"."""
    kinds = [
        label
        for key, label in (("allow_fleet", "fleet"), ("allow_image_builder", "image builder"))
        if permissions.get(key)
    ]
    return " + ".join(kinds) if kinds else "no share"


def _remedy_line(finding: DriftFinding, action: ActionRecord) -> DriftLine:
    before = action.request.get("before", {})
    after = action.request.get("after", {})
    outcome = "removed" if action.status == "succeeded" else f"{action.status}: {action.error}"
    return DriftLine(
        account_id=action.shared_account_id or "?",
        expected=permissions_text(after),
        actual=f"{permissions_text(before)} on {finding.image_name} ({finding.region})",
        outcome=outcome,
        image_arn=finding.image_arn,
        rule_ids=list(action.request.get("rule_ids", [])),
        event_id=finding.event_id,
    )


def _left_line(finding: DriftFinding, left: LeftViolation) -> DriftLine:
    permission = (left.permission or "share").replace("_", " ")
    expected = f"no {permission}" if left.account_id else f"compliance with {left.rule_id}"
    return DriftLine(
        account_id=left.account_id or IMAGE_LEVEL,
        expected=expected,
        actual=f"{permission} on {finding.image_name} ({finding.region}), left in place",
        outcome="left for people (audit or report-only)",
        image_arn=finding.image_arn,
        rule_ids=[left.rule_id],
        event_id=finding.event_id,
    )


def drift_lines(
    findings: Sequence[DriftFinding], errors: Sequence[str], *, limit: int = MAX_DRIFT_LINES
) -> tuple[list[DriftEntry], int]:
    """The ``drift`` list (at most ``limit`` entries, the last one saying how many more)."""
    lines: list[DriftEntry] = []
    for finding in findings:
        lines += [_remedy_line(finding, action) for action in finding.remedies]
        lines += [_left_line(finding, left) for left in finding.left]
    lines += [f"not swept: {error}" for error in errors]
    if len(lines) <= limit:
        return lines, 0
    more = len(lines) - (limit - 1)
    return [*lines[: limit - 1], f"...and {more} more (see the ledger)"], more


def _recorded_severities(action: ActionRecord) -> list[str]:
    """The rule severities recorded with a remedy ("medium" for one recorded without)."""
    found = [str(v["severity"]) for v in action.request.get("violations", []) if "severity" in v]
    return found or ["medium"]


def drift_item(
    run: DriftRun,
    findings: Sequence[DriftFinding],
    errors: Sequence[str],
    counts: Mapping[str, int],
) -> OutboxItem:
    """The one ``drift_found`` notification of a sweep run (bounded whatever was found)."""
    remedies = [a for f in findings for a in f.remedies]
    failed = sum(1 for a in remedies if a.status != "succeeded")
    removed = len(remedies) - failed
    left = sum(len(f.left) for f in findings)
    owners = sorted({f.owner_account_id for f in findings})
    parts = [
        f"{len(findings)} image(s) in {len(owners)} account(s) differed from the policy"
        if findings
        else "no image differed from the policy"
    ]
    if removed:
        parts.append(f"{removed} share(s) corrected")
    if failed:
        parts.append(f"{failed} correction(s) failed")
    if left:
        parts.append(f"{left} violation(s) left for people")
    if errors:
        parts.append(f"{len(errors)} account/region(s) or image(s) could not be swept")
    lines, more = drift_lines(findings, errors)
    single = findings[0] if len(findings) == 1 else None
    severity = highest_severity(
        [s for a in remedies for s in _recorded_severities(a)]
        + [v.severity for f in findings for v in f.left],
        default="low",
        failed=bool(failed),
    )
    payload = DriftFound(
        severity=severity,
        image_arn=single.image_arn if single else None,
        image_name=single.image_name if single else f"{len(findings)} image(s)",
        region=single.region if single else run.region,
        account_id=single.owner_account_id if single else run.account_id,
        shared_account_ids=sorted(
            {a.shared_account_id for a in remedies if a.shared_account_id}
            | {v.account_id for f in findings for v in f.left if v.account_id}
        ),
        actor_arn=run.actor_arn,
        rule_ids=sorted(
            {r for a in remedies for r in a.request.get("rule_ids", [])}
            | {v.rule_id for f in findings for v in f.left}
        ),
        summary="Drift sweep: " + "; ".join(parts),
        details=DriftDetails(
            drift=lines,
            more=more,
            action=(
                f"corrected {removed} share(s) the events missed"
                if removed
                else "reported the drift (nothing changed)"
            ),
            images=[f.image_arn for f in findings[:MAX_DRIFT_LINES]],
            errors=list(errors[:MAX_DRIFT_ERRORS]),
            counts=dict(counts),
        ),
        event_id=run.event_id,
        event_name="DriftSweep",
        occurred_at=format_ts(run.occurred_at),
    )
    return OutboxItem.from_payload(payload, discriminators=(run.event_id, "drift"))
