"""Permission enforcement: one CloudTrail event in, a ledger story and minimal remedies out.

The enforcer never trusts the event's view of the world: it re-reads the image's current
permissions, evaluates them with the shared policy engine, and removes only what the policy
forbids. Events can be stale, duplicated or out of order; all three end up harmless.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from govbot.domain import ImageRef, ImageSnapshot, Permissions
from govbot.enforcer import messages
from govbot.events import ParsedEvent, RejectedEvent, parse_event
from govbot.gateways.appstream import AppStreamGatewayError, ImageNotFound
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventBundle, EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.policy.engine import evaluate
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation
from govbot.policy.rules import Exemption

# Keep the decision+outbox transaction well under DynamoDB's 100-item limit.
MAX_DECISIONS_IN_TRANSACTION = 80
# Events that can change what an image is shared with, or which rules select it.
EVALUATED_EVENTS = frozenset(
    {
        "UpdateImagePermissions",
        "DeleteImagePermissions",
        "TagResource",
        "UntagResource",
        "CreateUpdatedImage",
        "CreateImage",
        "ReapplyRevocation",
    }
)

Status = Literal["processed", "ignored", "rejected", "duplicate"]
# Deferred work from Slack buttons arrives on the same queue in this envelope.
WORK_SOURCE = "govbot.actions"
WORK_OPERATIONS = frozenset({"ReapplyRevocation", "RestorePermission"})


class AppStreamPort(Protocol):
    """What the enforcer needs from the AppStream gateway."""

    def describe_image(self, ref: ImageRef) -> ImageSnapshot | None: ...
    def update_permissions(
        self, ref: ImageRef, account_id: str, permissions: Permissions
    ) -> None: ...
    def delete_permissions(self, ref: ImageRef, account_id: str) -> None: ...


class LedgerPort(Protocol):
    """What the enforcer needs from the ledger gateway."""

    def record_event(self, rec: EventRecord) -> bool: ...
    def record_rejected(
        self, *, reason: str, raw: str, event_id: str | None = None, received_at: datetime
    ) -> str: ...
    def get_event(self, event_id: str) -> EventBundle: ...
    def put_action(self, action: ActionRecord) -> None: ...
    def put_decisions(self, decisions: Sequence[DecisionRecord]) -> None: ...
    def commit_outcome(
        self,
        event_id: str,
        *,
        decisions: Sequence[DecisionRecord] = (),
        actions: Sequence[ActionRecord] = (),
        outbox: Sequence[OutboxItem] = (),
        event_status: Literal["ignored", "processed"] = "processed",
        note: str | None = None,
    ) -> bool: ...
    def add_outbox(self, items: Sequence[OutboxItem]) -> int: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EnforcerDeps:
    """Everything the enforcer touches, injected so tests use fakes or the sandbox."""

    appstream: AppStreamPort
    ledger: LedgerPort
    policy: Callable[[], Policy]
    governed_accounts: frozenset[str]
    governed_regions: frozenset[str]
    org_accounts: Callable[[], frozenset[str]] = lambda: frozenset()
    exemptions: Callable[[datetime], Sequence[Exemption]] = lambda _now: ()
    self_principals: tuple[str, ...] = ()
    bot_principal_arn: str | None = None
    clock: Callable[[], datetime] = _utcnow


@dataclass(frozen=True)
class EnforcementResult:
    """What happened to one event (for logs, metrics and tests)."""

    status: Status
    event_id: str
    note: str = ""
    actions: tuple[ActionRecord, ...] = ()
    outbox: tuple[OutboxItem, ...] = field(default_factory=tuple)


class Enforcer:
    """Handles one event at a time; safe to run again on the same event."""

    def __init__(self, deps: EnforcerDeps) -> None:
        self._deps = deps

    def handle(self, body: str | bytes | dict[str, Any]) -> EnforcementResult:
        """Parse, record, evaluate and remedy one EventBridge event (an SQS message body)."""
        deps = self._deps
        request = work_request(body)
        if request is not None:
            return self._work(request)
        parsed = parse_event(
            body,
            governed_accounts=deps.governed_accounts,
            governed_regions=deps.governed_regions,
        )
        if isinstance(parsed, RejectedEvent):
            return self._reject(parsed)
        bundle = deps.ledger.get_event(parsed.event_id)
        if bundle.is_final:
            return EnforcementResult("duplicate", parsed.event_id, "already handled")
        if not bundle.exists:
            deps.ledger.record_event(self._event_record(parsed))
        if parsed.failed:
            note = f"the call failed ({parsed.error_code}): nothing changed, nothing to do"
            return self._finish(parsed, "ignored", note)
        if self._is_own_call(parsed):
            note = "govbot's own remediation call, recognised by its principal: not re-evaluated"
            return self._finish(parsed, "ignored", note)
        if parsed.event_name not in EVALUATED_EVENTS or parsed.image_ref is None:
            return self._finish(parsed, "processed", _record_only_note(parsed))
        return self._enforce(parsed, parsed.image_ref, bundle)

    # -- steps -------------------------------------------------------------------------

    def _work(self, request: dict[str, Any]) -> EnforcementResult:
        """A deferred Slack button: re-apply the policy, or restore an exempted permission."""
        deps = self._deps
        try:
            event = work_event(request, deps.clock())
        except (KeyError, TypeError, ValueError) as exc:
            return self._reject(
                RejectedEvent(reason=f"malformed work request: {exc}", raw=json.dumps(request))
            )
        ref = event.image_ref
        assert ref is not None  # work_event always names the image
        if ref.account_id not in deps.governed_accounts or ref.region not in deps.governed_regions:
            reason = f"work request for {ref.arn}, outside the governed accounts and regions"
            return self._reject(
                RejectedEvent(reason=reason, raw=event.raw, event_id=event.event_id)
            )
        bundle = deps.ledger.get_event(event.event_id)
        if bundle.is_final:
            return EnforcementResult("duplicate", event.event_id, "already handled")
        if not bundle.exists:
            deps.ledger.record_event(self._event_record(event))
        if event.event_name == "ReapplyRevocation":
            return self._enforce(event, ref, bundle)
        return self._restore(event, ref, str(request.get("permission", "")))

    def _restore(self, event: ParsedEvent, ref: ImageRef, permission: str) -> EnforcementResult:
        """Give back a permission govbot removed, now that an approver exempted it."""
        deps = self._deps
        snapshot = deps.appstream.describe_image(ref)
        account = event.shared_account_id or ""
        if snapshot is None:
            return self._finish(event, "ignored", f"image {ref.arn} no longer exists")
        current = snapshot.permissions_of(account)
        wanted = Permissions(
            allow_fleet=current.allow_fleet or permission in ("fleet", "*"),
            allow_image_builder=current.allow_image_builder or permission in ("image_builder", "*"),
        )
        if wanted == current:
            return self._finish(event, "processed", f"{account} already holds {permission}")
        started = ActionRecord(
            event_id=event.event_id,
            seq=0,
            operation="UpdateImagePermissions",
            request={
                "SharedAccountId": account,
                "before": current.model_dump(),
                "after": wanted.model_dump(),
                "ImagePermissions": {
                    "allowFleet": wanted.allow_fleet,
                    "allowImageBuilder": wanted.allow_image_builder,
                },
                "reasons": [f"restored at the request of {event.actor_arn}"],
            },
            status="started",
            image_arn=ref.arn,
            region=ref.region,
            account_id=ref.account_id,
            shared_account_id=account,
            actor_arn=deps.bot_principal_arn,
        )
        deps.ledger.put_action(started)
        try:
            deps.appstream.update_permissions(ref, account, wanted)
        except AppStreamGatewayError as exc:
            action = _final(started, "failed", f"{exc.code}: {exc}")
        else:
            action = _final(started, "succeeded")
        note = f"restore of {permission} for {account}: {action.status}"
        return self._finish(event, "processed", note, actions=[action])

    def _reject(self, rejected: RejectedEvent) -> EnforcementResult:
        ledger_id = self._deps.ledger.record_rejected(
            reason=rejected.reason,
            raw=rejected.raw,
            event_id=rejected.event_id,
            received_at=self._deps.clock(),
        )
        self._deps.ledger.add_outbox([messages.rejected_item(rejected.reason, ledger_id)])
        return EnforcementResult("rejected", ledger_id, rejected.reason)

    def _enforce(self, event: ParsedEvent, ref: ImageRef, bundle: EventBundle) -> EnforcementResult:
        deps = self._deps
        snapshot = deps.appstream.describe_image(ref)
        if snapshot is None:
            return self._finish(event, "ignored", f"image {ref.arn} no longer exists")
        now = deps.clock()
        policy = deps.policy()
        org_accounts = (
            deps.org_accounts() if policy.organization.trust_member_accounts else frozenset()
        )
        evaluation = evaluate(
            snapshot,
            policy,
            now,
            org_accounts=org_accounts,
            extra_exemptions=tuple(deps.exemptions(now)),
        )
        actions = self._recovered_actions(bundle, snapshot)
        actions += self._remedy(event, ref, evaluation, first_seq=len(bundle.actions))
        outbox: list[OutboxItem] = []
        if actions:
            outbox.append(messages.remedied_item(event, evaluation, actions, deps.clock()))
        unremedied = list(evaluation.audit_violations())
        if unremedied:
            outbox.append(messages.audit_item(event, evaluation, unremedied))
        if event.event_name == "DeleteImagePermissions":
            outbox.append(messages.stop_sharing_item(event, ref.arn, ref.name))
        decisions = messages.decision_records(event, evaluation)
        decisions += _recovered_decisions(event, actions, decisions)
        note = _summary(evaluation, actions)
        return self._finish(event, "processed", note, decisions, actions, outbox)

    def _remedy(
        self, event: ParsedEvent, ref: ImageRef, evaluation: Evaluation, first_seq: int
    ) -> list[ActionRecord]:
        deps = self._deps
        done: list[ActionRecord] = []
        for offset, change in enumerate(evaluation.enforced_changes()):
            started = ActionRecord(
                event_id=event.event_id,
                seq=first_seq + offset,
                operation=messages.operation_for(change),
                request=messages.change_request(change),
                status="started",
                image_arn=ref.arn,
                region=ref.region,
                account_id=ref.account_id,
                shared_account_id=change.account_id,
                actor_arn=deps.bot_principal_arn,
            )
            # Written before the call so a crash between the call and the commit is
            # recognised on retry (see _recovered_actions) instead of being forgotten.
            deps.ledger.put_action(started)
            try:
                if change.deletes_share:
                    deps.appstream.delete_permissions(ref, change.account_id)
                else:
                    deps.appstream.update_permissions(ref, change.account_id, change.after)
            except ImageNotFound as exc:
                done.append(_final(started, "failed", f"image or share vanished: {exc}"))
            except AppStreamGatewayError as exc:
                done.append(_final(started, "failed", f"{exc.code}: {exc}"))
            else:
                done.append(_final(started, "succeeded"))
        return done

    def _recovered_actions(
        self, bundle: EventBundle, snapshot: ImageSnapshot
    ) -> list[ActionRecord]:
        """Actions a crashed earlier attempt started: confirm them against current state."""
        recovered: list[ActionRecord] = []
        for action in bundle.actions:
            if action.status != "started" or action.shared_account_id is None:
                continue
            wanted = Permissions.model_validate(action.request.get("after", {}))
            current = snapshot.permissions_of(action.shared_account_id)
            if current == wanted:
                recovered.append(_final(action, "succeeded", None, "confirmed on retry"))
            else:
                recovered.append(
                    _final(action, "failed", "interrupted before completion; re-evaluated")
                )
        return recovered

    def _finish(
        self,
        event: ParsedEvent,
        status: Literal["processed", "ignored"],
        note: str,
        decisions: Sequence[DecisionRecord] = (),
        actions: Sequence[ActionRecord] = (),
        outbox: Sequence[OutboxItem] = (),
    ) -> EnforcementResult:
        ledger = self._deps.ledger
        decisions = list(decisions)
        if len(decisions) > MAX_DECISIONS_IN_TRANSACTION:
            # Decisions are idempotent upserts; only the ones that drive the outbox must
            # share its transaction, so the overflow goes first, outside it.
            decisions.sort(key=lambda d: d.outcome != "violation")
            ledger.put_decisions(decisions[MAX_DECISIONS_IN_TRANSACTION:])
            decisions = decisions[:MAX_DECISIONS_IN_TRANSACTION]
        committed = ledger.commit_outcome(
            event.event_id,
            decisions=decisions,
            actions=actions,
            outbox=outbox,
            event_status=status,
            note=note,
        )
        if not committed:
            return EnforcementResult("duplicate", event.event_id, "committed by another delivery")
        return EnforcementResult(status, event.event_id, note, tuple(actions), tuple(outbox))

    def _event_record(self, event: ParsedEvent) -> EventRecord:
        return EventRecord(
            event_id=event.event_id,
            event_name=event.event_name,
            status="received",
            actor_arn=event.actor_arn,
            image_arn=event.image_arn,
            region=event.region,
            account_id=event.account_id,
            shared_account_id=event.shared_account_id,
            occurred_at=event.event_time,
            received_at=self._deps.clock(),
            raw=event.raw,
        )

    def _is_own_call(self, event: ParsedEvent) -> bool:
        actor = event.actor_arn or ""
        return any(fnmatch.fnmatchcase(actor, pattern) for pattern in self._deps.self_principals)


def work_request(body: str | bytes | dict[str, Any]) -> dict[str, Any] | None:
    """The request inside a deferred-work envelope from the actions endpoint, else None."""
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict) or body.get("source") != WORK_SOURCE:
        return None
    detail = body.get("detail")
    return detail if isinstance(detail, dict) else {}


def work_event(request: dict[str, Any], now: datetime) -> ParsedEvent:
    """A ParsedEvent standing for a button press, so it leaves the same ledger story."""
    operation = request["operation"]
    if operation not in WORK_OPERATIONS:
        raise ValueError(f"operation must be one of {sorted(WORK_OPERATIONS)}, got {operation!r}")
    ref = ImageRef.from_arn(str(request["image_arn"]))
    account = str(request["account_id"])
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    # model_construct: no CloudTrail params exist for a button press; every field read
    # downstream is set here.
    return ParsedEvent.model_construct(
        event_id=f"WORK-{operation}-{digest}",
        envelope_id="",
        event_name=operation,
        event_type="api_call",
        event_time=now,
        region=ref.region,
        account_id=ref.account_id,
        actor_arn=f"slack:{request.get('requested_by', 'unknown')}",
        image_name=ref.name,
        image_arn=ref.arn,
        shared_account_id=account,
        permissions=None,
        error_code=None,
        tags={},
        tag_keys=(),
        params=None,
        raw=json.dumps(request, sort_keys=True),
    )


def _final(
    action: ActionRecord,
    status: Literal["succeeded", "failed"],
    error: str | None = None,
    note: str | None = None,
) -> ActionRecord:
    request = dict(action.request)
    if note:
        request["note"] = note
    return action.model_copy(
        update={"status": status, "error": error, "request": request, "recorded_at": None}
    )


def _recovered_decisions(
    event: ParsedEvent, actions: Sequence[ActionRecord], decisions: Sequence[DecisionRecord]
) -> list[DecisionRecord]:
    """Violation decisions for remedies confirmed on retry (the re-read no longer sees them)."""
    seen = {(d.rule_id, d.account_id) for d in decisions if d.outcome == "violation"}
    extra: list[DecisionRecord] = []
    for action in actions:
        if action.request.get("note") != "confirmed on retry" or not action.shared_account_id:
            continue
        for rule_id, reason in zip(
            action.request.get("rule_ids", []), action.request.get("reasons", []), strict=False
        ):
            if (rule_id, action.shared_account_id) in seen:
                continue
            extra.append(
                DecisionRecord(
                    event_id=event.event_id,
                    rule_id=rule_id,
                    account_id=action.shared_account_id,
                    permission="share",
                    outcome="violation",
                    mode="enforce",
                    reason=reason,
                    image_arn=action.image_arn,
                    region=event.region,
                    actor_arn=event.actor_arn,
                )
            )
    return extra


def _summary(evaluation: Evaluation, actions: Sequence[ActionRecord]) -> str:
    violations = evaluation.violations()
    if not violations and not actions:
        return "compliant: nothing to remedy"
    failed = sum(1 for a in actions if a.status == "failed")
    return (
        f"{len(violations)} violation(s); {len(actions) - failed} remedy call(s) succeeded, "
        f"{failed} failed; {len(evaluation.audit_violations())} left for people (audit)"
    )


def _record_only_note(event: ParsedEvent) -> str:
    notes = {
        "CopyImage": (
            f"copy of {event.image_name} to {event.destination_region} as "
            f"{event.destination_image_name}: CopyImage copies neither tags nor sharing; "
            "golden images are restored by the replicator"
        ),
        "DeleteImage": (
            f"image {event.image_name} deleted; golden sources are handled by the replicator"
        ),
        "CreateImageBuilder": "image builder created from this image",
        "CreateFleet": "fleet created with this image",
        "UpdateFleet": "fleet updated",
    }
    return notes.get(event.event_name, "recorded; no image to evaluate")
