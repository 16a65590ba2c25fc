"""Deferred Slack work: an approver's button press, run by the enforcer off its queue.

"Re-apply" enforces the policy again as if the image had just changed; "restore" gives back
a permission govbot removed, now that an approver exempted it. Kept apart from the event
path in ``logic.py``, whose :class:`~govbot.enforcer.logic.Enforcer` calls in here and
lends its steps (record, retry, finish) so both paths leave the same ledger story.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.enforcer.ports import EnforcementResult
from govbot.enforcer.recovery import finalize
from govbot.enforcer.resilience import Attempt, RetryLater
from govbot.enforcer.work import WorkRefused, verified_request, work_event
from govbot.events import ParsedEvent, RejectedEvent
from govbot.events.coerce import bounded_reason
from govbot.events.safety import unencodable_paths, unencodable_problem
from govbot.gateways.appstream import AppStreamGatewayError, TransientError
from govbot.ledger.records.events import ActionRecord

if TYPE_CHECKING:
    from govbot.enforcer.logic import Enforcer


def run_work(
    enforcer: Enforcer, envelope: dict[str, Any], attempt: Attempt | None = None
) -> EnforcementResult:
    """A deferred Slack button: re-apply the policy, or restore an exempted permission.

    Only an envelope the actions function signed is obeyed; any other is recorded as
    rejected with why (and announced once, like every rejection).
    """
    deps = enforcer.deps
    unencodable = unencodable_paths(envelope)
    if unencodable:  # before any field is used: nothing can store or compare such text
        return enforcer.reject(
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
        return enforcer.reject(
            RejectedEvent(
                reason=bounded_reason([f"work request refused: {exc}"]),
                raw=json.dumps(envelope, default=repr)[:64_000],
                event_name=str(operation or "work request")[:128],
                event_source="govbot",
            )
        )
    try:
        event = work_event(request, deps.clock())
    except (KeyError, TypeError, ValueError) as exc:
        return enforcer.reject(
            RejectedEvent(
                reason=bounded_reason([f"malformed work request: {exc}"]),
                raw=json.dumps(request),
                event_name=str(request.get("operation") or "work request")[:128],
                event_source="govbot",
            )
        )
    ref = event.image_ref
    assert ref is not None  # work_event always names the image
    if ref.account_id not in deps.governed_accounts or ref.region not in deps.governed_regions:
        reason = f"work request for {ref.arn}, outside the governed accounts and regions"
        return enforcer.reject(
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
        return enforcer.retrying(event, ref, attempt, enforcer.first_attempt, attempt)
    bundle = deps.ledger.get_event(event.event_id)
    if bundle.is_final:
        return EnforcementResult("duplicate", event.event_id, "already handled")
    if not bundle.exists:
        deps.ledger.record_event(enforcer.event_record(event))
    permission = str(request.get("permission", ""))
    return enforcer.retrying(event, ref, attempt, lambda e, r: restore(enforcer, e, r, permission))


def restore(
    enforcer: Enforcer, event: ParsedEvent, ref: ImageRef, permission: str
) -> EnforcementResult:
    """Give back a permission govbot removed, now that an approver exempted it."""
    deps = enforcer.deps
    snapshot = deps.appstream.describe_image(ref)
    account = event.shared_account_id or ""
    if snapshot is None:
        return enforcer.finish(event, "ignored", f"image {ref.arn} no longer exists")
    current = snapshot.permissions_of(account)
    wanted = Permissions(
        allow_fleet=current.allow_fleet or permission in ("fleet", "*"),
        allow_image_builder=current.allow_image_builder or permission in ("image_builder", "*"),
    )
    if wanted == current:
        return enforcer.finish(event, "processed", f"{account} already holds {permission}")
    # Restore only what the policy now allows (the approver's exemption must be in
    # force): govbot never creates a share its own policy would revoke.
    added = wanted.granted() - current.granted()
    blocked = [
        v
        for v in enforcer.evaluate(_with_share(snapshot, account, wanted)).violations()
        if v.account_id == account and v.permission in added and not v.report_only
    ]
    if blocked:
        reasons = "; ".join(v.reason for v in blocked)
        return enforcer.finish(event, "ignored", f"restore refused, not exempted: {reasons}")
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
    return enforcer.finish(event, "processed", note, actions=[action])


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
