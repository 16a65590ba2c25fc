"""Deferred Slack work: an approver's button press, run by the enforcer off its queue.

"Re-apply" enforces the policy again as if the image had just changed; "restore" gives back
a permission govbot removed, now that an approver exempted it. The router hands the work
here; it goes through the same public steps as an event (:class:`CommitStep` records,
retries and commits, :class:`EnforceStep` re-applies), so both paths leave the same
ledger story.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.enforcer.commit import CommitStep, Outcome
from govbot.enforcer.enforcement import EnforceStep
from govbot.enforcer.ports import EnforcementResult, EnforcerDeps
from govbot.enforcer.recovery import finalize
from govbot.enforcer.rejections import failure_reason, record_rejection
from govbot.enforcer.resilience import Attempt, RetryLater
from govbot.enforcer.work import WorkRefused, verified_request, work_event
from govbot.events import ParsedEvent, RejectedEvent
from govbot.events.safety import unencodable_paths, unencodable_problem
from govbot.gateways.appstream import AppStreamGatewayError, TransientError
from govbot.ledger.records.events import ActionRecord


@dataclass(frozen=True)
class DeferredWork:
    """Runs deferred Slack work through the enforcer's public commit and enforce steps."""

    deps: EnforcerDeps
    commit: CommitStep
    enforce: EnforceStep

    def reject(self, rejected: RejectedEvent) -> EnforcementResult:
        """Record a refused work request (with a message to people)."""
        return record_rejection(self.deps.ledger, self.deps.clock, rejected)

    def run(self, envelope: dict[str, Any], attempt: Attempt | None = None) -> EnforcementResult:
        """See :func:`run_work`."""
        return run_work(self, envelope, attempt)


def run_work(
    work: DeferredWork, envelope: dict[str, Any], attempt: Attempt | None = None
) -> EnforcementResult:
    """A deferred Slack button: re-apply the policy, or restore an exempted permission.

    Only an envelope the actions function signed is obeyed; any other is recorded as
    rejected with why (and announced once, like every rejection).
    """
    deps, commit = work.deps, work.commit
    unencodable = unencodable_paths(envelope)
    if unencodable:  # before any field is used: nothing can store or compare such text
        return work.reject(
            RejectedEvent(
                reason=f"malformed work request: {unencodable_problem(unencodable)}",
                raw=json.dumps(envelope, default=repr)[:64_000],
                event_name="work request",
                event_source="govbot",
            )
        )
    try:
        request = verified_request(envelope, _work_key(deps.work_key), deps.clock())
    except WorkRefused as exc:
        detail = envelope.get("detail")
        operation = detail.get("operation") if isinstance(detail, dict) else None
        return work.reject(
            RejectedEvent(
                reason=failure_reason("work request refused", str(exc)),
                raw=json.dumps(envelope, default=repr)[:64_000],
                event_name=str(operation or "work request")[:128],
                event_source="govbot",
            )
        )
    try:
        event = work_event(request, deps.clock())
    except (KeyError, TypeError, ValueError) as exc:
        return work.reject(
            RejectedEvent(
                reason=failure_reason("malformed work request", str(exc)),
                raw=json.dumps(request),
                event_name=str(request.get("operation") or "work request")[:128],
                event_source="govbot",
            )
        )
    ref = event.image_ref
    assert ref is not None  # work_event always names the image
    if ref.account_id not in deps.governed_accounts or ref.region not in deps.governed_regions:
        reason = f"work request for {ref.arn}, outside the governed accounts and regions"
        return work.reject(
            RejectedEvent(
                reason=reason,
                raw=event.raw,
                event_id=event.event_id,
                event_name=event.event_name,
                event_source="govbot",
                account_id=ref.account_id,
                region=ref.region,
            )
        )
    # A button press follows an approver's decision (an exemption, often just granted in
    # another container): judge it with the exemptions as they are now, not as cached.
    deps.judge.refresh()
    if event.event_name == "ReapplyRevocation":
        reapply = work.enforce
        return commit.retrying(event, ref, attempt, lambda: reapply.enforce(event, ref, attempt))
    bundle = deps.ledger.get_event(event.event_id)
    if bundle.is_final:
        return EnforcementResult("duplicate", event.event_id, "already handled")
    if not bundle.exists:
        commit.record_received(event)
    permission = str(request.get("permission", ""))
    return commit.retrying(event, ref, attempt, lambda: restore(work, event, ref, permission))


def restore(
    work: DeferredWork, event: ParsedEvent, ref: ImageRef, permission: str
) -> EnforcementResult:
    """Give back a permission govbot removed, now that an approver exempted it."""
    deps, commit = work.deps, work.commit

    def finish(
        status: Literal["processed", "ignored"], note: str, *actions: ActionRecord
    ) -> EnforcementResult:
        return commit.finish_recorded(Outcome(event, status, note, actions=actions))

    snapshot = deps.appstream.describe_image(ref)
    account = event.shared_account_id or ""
    if snapshot is None:
        return finish("ignored", f"image {ref.arn} no longer exists")
    current = snapshot.permissions_of(account)
    wanted = Permissions(
        allow_fleet=current.allow_fleet or permission in ("fleet", "*"),
        allow_image_builder=current.allow_image_builder or permission in ("image_builder", "*"),
    )
    if wanted == current:
        return finish("processed", f"{account} already holds {permission}")
    # Restore only what the policy now allows (the approver's exemption must be in
    # force): govbot never creates a share its own policy would revoke.
    added = wanted.granted() - current.granted()
    blocked = [
        v
        for v in work.enforce.evaluate(_with_share(snapshot, account, wanted)).violations()
        if v.account_id == account and v.permission in added and not v.report_only
    ]
    if blocked:
        reasons = "; ".join(v.reason for v in blocked)
        return finish("ignored", f"restore refused, not exempted: {reasons}")
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
    except TransientError as exc:
        deps.ledger.put_action(finalize(started, "failed", f"transient {exc.code}: {exc}"))
        raise RetryLater(f"{exc.code}: {exc}", [started]) from exc
    except AppStreamGatewayError as exc:
        action = finalize(started, "failed", f"{exc.code}: {exc}")
    else:
        action = finalize(started, "succeeded")
    note = f"restore of {permission} for {account}: {action.status}"
    return finish("processed", note, action)


def _with_share(image: ImageSnapshot, account: str, permissions: Permissions) -> ImageSnapshot:
    """``image`` as it would be with ``account`` granted ``permissions``."""
    others = tuple(share for share in image.shared_with if share.account_id != account)
    share = SharedAccountPermission(account_id=account, permissions=permissions)
    return image.model_copy(update={"shared_with": (*others, share)})


def _work_key(key: Callable[[], bytes] | None) -> bytes:
    """The signing key; :class:`WorkRefused` when none is configured (a missing secret is
    a deployment fault: the work is refused and recorded, not retried forever)."""
    from govbot.gateways.secrets import SecretError

    if key is None:
        raise WorkRefused("no work signing key is configured (WORK_SIGNING_SECRET_ARN)")
    try:
        return key()
    except SecretError as exc:
        raise WorkRefused(f"the work signing key cannot be used: {exc}") from exc
