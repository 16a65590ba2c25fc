"""What an enforcement produces: decision records, remedy requests, outbox items (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from govbot.domain import Permissions, highest_severity
from govbot.enforcer.consumers import (
    ConsumerView,
    builder_exposure,
    fleet_impact_text,
    stopped_fleets,
)
from govbot.events import ParsedEvent, RejectedEvent
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import (
    AuditDetails,
    BuilderExposure,
    ChangeLine,
    RejectedDetails,
    RemediedDetails,
    StopSharingDetails,
    ViolationLine,
    WindowShape,
)
from govbot.ledger.records.events import ActionRecord, DecisionRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import (
    EventRejected,
    ExposureWindow,
    StopSharingImpact,
    ViolationAudit,
    ViolationRemedied,
)
from govbot.policy.results import Evaluation, PermissionChange, Verdict

BUILDER_WARNING = (
    "Image-builder access lets the account build its own images from this one. Revoking it "
    "does not touch builders or images it already made: anything built during the exposure "
    "window is beyond govbot's reach."
)
FLEET_IMPACT = (
    "Fleet access was removed: the desired capacity of that account's fleets using this "
    "image is now 0. Running sessions continue until they end; new instances need another image."
)
IMAGE_LEVEL = "-"


REMEDY_OPERATIONS = frozenset({"UpdateImagePermissions", "DeleteImagePermissions"})
RemedyTally = dict[str, dict[str, int]]  # outcome ("applied" | "failed") -> rule id -> count


def remedy_tally(actions: Iterable[ActionRecord]) -> RemedyTally:
    """Share remedies by outcome and rule (the ``RemediesApplied``/``RemediesFailed`` metrics).

    A remedy counts once for each rule behind it; one still ``started`` (in flight) or
    ``skipped`` is neither applied nor failed.

    >>> from govbot.ledger.records.events import ActionRecord
    >>> done = ActionRecord(event_id="e", seq=1, operation="DeleteImagePermissions",
    ...     status="succeeded", request={"rule_ids": ["no-outsiders"]})
    >>> remedy_tally([done])
    {'applied': {'no-outsiders': 1}, 'failed': {}}
    """
    tally: RemedyTally = {"applied": {}, "failed": {}}
    for action in actions:
        if action.operation not in REMEDY_OPERATIONS:
            continue
        outcome = {"succeeded": "applied", "failed": "failed"}.get(action.status)
        if outcome is None:
            continue
        rules = [str(r) for r in action.request.get("rule_ids", [])] or ["unknown"]
        for rule in dict.fromkeys(rules):
            tally[outcome][rule] = tally[outcome].get(rule, 0) + 1
    return tally


def decision_records(event: ParsedEvent, evaluation: Evaluation) -> list[DecisionRecord]:
    """One decision record per verdict (image-level verdicts use account ``-``)."""
    return [
        DecisionRecord(
            event_id=event.event_id,
            rule_id=verdict.rule_id,
            account_id=verdict.account_id or IMAGE_LEVEL,
            permission=verdict.permission or "share",
            outcome=verdict.outcome,
            mode=verdict.mode,
            reason=verdict.reason,
            report_only=verdict.report_only,
            exemption_id=verdict.exemption_id,
            image_arn=evaluation.image_arn,
            region=event.region,
            actor_arn=event.actor_arn,
        )
        for verdict in evaluation.verdicts
    ]


def change_request(change: PermissionChange) -> dict[str, Any]:
    """The AppStream request an enforced change becomes, plus why (kept for crash recovery)."""
    request: dict[str, Any] = {
        "SharedAccountId": change.account_id,
        "before": change.before.model_dump(),
        "after": change.after.model_dump(),
        "rule_ids": list(change.rule_ids),
        "reasons": list(change.reasons),
    }
    if not change.deletes_share:
        request["ImagePermissions"] = {
            "allowFleet": change.after.allow_fleet,
            "allowImageBuilder": change.after.allow_image_builder,
        }
    return request


def operation_for(change: PermissionChange) -> str:
    """UpdateImagePermissions keeps what is allowed; DeleteImagePermissions when nothing is."""
    return "DeleteImagePermissions" if change.deletes_share else "UpdateImagePermissions"


def _window_for(event: ParsedEvent, account_id: str, revoked_at: datetime) -> ExposureWindow:
    """Grant to revoke of an image-builder grant; the grant time is known when ``event`` is it."""
    granted_here = (
        event.event_name == "UpdateImagePermissions"
        and event.shared_account_id == account_id
        and event.permissions is not None
        and event.permissions.allow_image_builder
    )
    if not granted_here:
        note = f"granted before {format_ts(event.event_time)}; exact grant time unknown"
        return ExposureWindow.between(None, revoked_at, note)
    return ExposureWindow.between(event.event_time, revoked_at)


def _event_fields(event: ParsedEvent, image_arn: str, image_name: str) -> dict[str, Any]:
    return {
        "image_arn": image_arn,
        "image_name": image_name,
        "region": event.region,
        "account_id": event.account_id,
        "actor_arn": event.actor_arn,
        "event_id": event.event_id,
        "event_name": event.event_name,
        "occurred_at": format_ts(event.event_time),
    }


def remedied_item(
    event: ParsedEvent,
    evaluation: Evaluation,
    actions: list[ActionRecord],
    revoked_at: datetime,
    consumers: Mapping[str, ConsumerView | None] | None = None,
) -> OutboxItem:
    """The ``violation_remedied`` notification for the changes govbot made.

    ``consumers``: what governed consumer accounts hold on the image (their image builders
    made during a builder exposure are listed).
    """
    consumers = consumers or {}
    exposures: list[BuilderExposure] = []
    changes: list[ChangeLine] = []
    violations: list[ViolationLine] = []
    window: ExposureWindow | None = None
    builder_revoked = fleet_revoked = False
    for action in actions:
        before = action.request.get("before", {})
        after = action.request.get("after", {})
        lost_builder = before.get("allow_image_builder") and not after.get("allow_image_builder")
        lost_fleet = before.get("allow_fleet") and not after.get("allow_fleet")
        rule_ids = action.request.get("rule_ids", [])
        for kind, lost in (("image_builder", lost_builder), ("fleet", lost_fleet)):
            if lost:
                violations += [
                    ViolationLine(
                        account_id=action.shared_account_id, permission=kind, rule_id=rule
                    )
                    for rule in rule_ids[:1]
                ]
        exposure_shape: WindowShape | None = None
        if lost_builder and action.status == "succeeded" and action.shared_account_id:
            builder_revoked = True
            exposure = _window_for(event, action.shared_account_id, revoked_at)
            exposure_shape = WindowShape(**exposure.as_json())
            window = window or exposure
            account = action.shared_account_id
            exposures.append(
                BuilderExposure(**builder_exposure(account, exposure, consumers.get(account)))
            )
        fleet_revoked = fleet_revoked or bool(lost_fleet and action.status == "succeeded")
        changes.append(
            ChangeLine(
                account_id=action.shared_account_id,
                operation=action.operation,
                before=before,
                after=after,
                rule_ids=rule_ids,
                reasons=action.request.get("reasons", []),
                status=action.status,
                error=action.error,
                exposure_window=exposure_shape,
            )
        )
    accounts = sorted({a.shared_account_id for a in actions if a.shared_account_id})
    failed = [a for a in actions if a.status != "succeeded"]
    verb = "could not remove" if failed else "removed"
    severity = highest_severity(_action_severities(actions, evaluation), failed=bool(failed))
    payload = ViolationRemedied(
        severity=severity,
        **_event_fields(event, evaluation.image_arn, evaluation.image_name),
        shared_account_ids=accounts,
        rule_ids=sorted({r for a in actions for r in a.request.get("rule_ids", [])}),
        summary=(
            f"govbot {verb} forbidden permissions of {evaluation.image_name} "
            f"({event.region}) for {', '.join(accounts)}"
        )
        + _undo_note(actions),
        details=RemediedDetails(
            changes=changes,
            violations=violations,
            action=", ".join(
                f"{a.operation} for {a.shared_account_id}: {a.status}" for a in actions
            ),
            granted_at=window.granted_at if window else None,
            revoked_at=window.revoked_at if window else None,
            builder_warning=BUILDER_WARNING if builder_revoked else None,
            builder_exposure=exposures or None,
            fleet_impact=FLEET_IMPACT if fleet_revoked else None,
        ),
    )
    return OutboxItem.from_payload(payload, discriminators=(event.event_id, "remedied"))


def _undo_note(actions: Sequence[ActionRecord]) -> str:
    """Says so when govbot undid its own write (see govbot.enforcer.takeaway)."""
    undone = [a for a in actions if a.request.get("undo") == "widening"]
    if not undone:
        return ""
    if all(a.status == "succeeded" for a in undone):
        return (
            "; the owner changed the share while govbot's write was in flight, and the "
            "access that write left beyond the owner's change was removed again"
        )
    return "; govbot's write left more access than the owner's change and could NOT undo it"


def _action_severities(actions: Sequence[ActionRecord], evaluation: Evaluation) -> list[str]:
    """The severities of the rules behind ``actions``: as recorded with each remedy, else
    (remedies recorded before severities were) the evaluation's verdicts of those rules."""
    found: list[str] = []
    for action in actions:
        recorded = [
            str(v["severity"]) for v in action.request.get("violations", []) if "severity" in v
        ]
        if recorded:
            found += recorded
            continue
        rules = set(action.request.get("rule_ids", []))
        found += [v.severity for v in evaluation.verdicts if v.rule_id in rules]
    return found


def violation_lines(verdicts: Iterable[Verdict]) -> list[ViolationLine]:
    """The verdicts as a message's violation lines (audit and inbound messages)."""
    return [
        ViolationLine(
            rule_id=v.rule_id,
            account_id=v.account_id,
            permission=v.permission,
            mode=v.mode,
            report_only=v.report_only,
            reason=v.reason,
        )
        for v in verdicts
    ]


def audit_item(event: ParsedEvent, evaluation: Evaluation, verdicts: list[Verdict]) -> OutboxItem:
    """The ``violation_audit`` notification for violations govbot reports but leaves."""
    accounts = sorted({v.account_id for v in verdicts if v.account_id})
    payload = ViolationAudit(
        severity=highest_severity(v.severity for v in verdicts),
        **_event_fields(event, evaluation.image_arn, evaluation.image_name),
        shared_account_ids=accounts,
        rule_ids=sorted({v.rule_id for v in verdicts}),
        summary=(
            f"{len(verdicts)} policy violation(s) on {evaluation.image_name} ({event.region}) "
            "left in place (audit mode or report-only rule)"
        ),
        details=AuditDetails(violations=violation_lines(verdicts)),
    )
    return OutboxItem.from_payload(payload, discriminators=(event.event_id, "audit"))


def stop_sharing_item(
    event: ParsedEvent,
    image_arn: str,
    image_name: str,
    consumer: ConsumerView | None = None,
    end: Permissions | None = None,
    undone: ActionRecord | None = None,
) -> OutboxItem:
    """The ``stop_sharing_impact`` notification for a person's DeleteImagePermissions.

    ``consumer``: the consumer's fleets when it is a governed account (they are named).
    ``end``: what the account holds once govbot is done (the summary says so when it is
    not nothing); ``undone``: govbot deleted its own late write, which the summary tells.
    """
    account = event.shared_account_id or "unknown"
    fleets = stopped_fleets(consumer)
    summary = f"{image_name} ({event.region}) is no longer shared with {account}"
    if end is not None and not end.is_empty():
        held = " and ".join(sorted(end.granted()))
        summary = f"{image_name} ({event.region}): {account} STILL holds {held} access"
    if undone is not None:
        summary += (
            " (govbot removed the access its own late remedy had re-created)"
            if undone.status == "succeeded"
            else f" (govbot's own late remedy re-created it and could not be undone: "
            f"{undone.error})"
        )
    payload = StopSharingImpact(
        severity="medium" if end is None or end.is_empty() else "high",
        **_event_fields(event, image_arn, image_name),
        shared_account_ids=[account] if event.shared_account_id else [],
        rule_ids=[],
        summary=summary,
        details=StopSharingDetails(
            fleet_impact=fleet_impact_text(account, consumer),
            fleets=fleets,
            consumer_governed=consumer is not None,
        ),
    )
    return OutboxItem.from_payload(payload, discriminators=(event.event_id, "stop"))


def rejected_item(rejected: RejectedEvent, ledger_id: str) -> OutboxItem:
    """The ``event_rejected`` notification: an input govbot could not handle.

    Names the event (name, source, account, region when the input had them) and every
    problem found, in a reason already bounded by the parser.
    """
    name = rejected.event_name or "an event"
    where = " in ".join(x for x in (rejected.account_id, rejected.region) if x)
    count = len(rejected.problems) or 1
    payload = EventRejected(
        severity="low",
        summary=f"govbot rejected {name}" + (f" ({where})" if where else "") + f": {count} "
        "problem(s)",
        account_id=rejected.account_id,
        region=rejected.region,
        event_id=rejected.event_id,
        details=RejectedDetails(
            reason=rejected.reason,
            ledger_id=ledger_id,
            event_name=rejected.event_name,
            event_source=rejected.event_source,
            problem_count=count,
        ),
        rule_ids=[],
        shared_account_ids=[],
    )
    return OutboxItem.from_payload(payload, discriminators=(ledger_id,))
