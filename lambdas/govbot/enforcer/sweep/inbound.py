"""What a lane checks once its private images are swept: others' images it runs, and
images gone while findings about them stood.

Inbound: the lane's account lists the images shared with it (DescribeImages
``Type=SHARED``), its fleets and its image builders (three listings per pass, only when a
rule judges them or findings from an earlier pass are open). Every image owned outside
the governed accounts that it lists or runs is judged as seen from the account, under an
event id derived from the pass, the image and the account. An image whose findings were
announced and that nothing of the account runs any more is resolved.

Gone: an image with open findings in the lane's account and region that this invocation
did not find is read once more; when it no longer exists its findings are resolved, so
reminder digests stop naming it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer.announce import resolve_announced
from govbot.enforcer.drift_summary import DriftFinding
from govbot.enforcer.inbound import foreign_images
from govbot.enforcer.sweep.context import LaneContext
from govbot.enforcer.sweep.report import finding_from_bundle, finding_from_result
from govbot.enforcer.sweep.schedule import PassIdentity, drift_event, image_event_id
from govbot.events import ParsedEvent
from govbot.gateways.appstream import AppStreamGatewayError
from govbot.policy.engine import reads_uses


@dataclass
class InboundTally:
    """What the inbound check of one lane found (folded into the lane's counts)."""

    images: int = 0
    compliant: int = 0
    standing: int = 0
    findings: list[DriftFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def inbound_event(run: PassIdentity, ref: ImageRef, viewer: str) -> ParsedEvent:
    """The synthetic event of ``ref`` as ``viewer`` uses it, in pass ``run`` (one per
    image, viewer and pass: two governed accounts on one image get one each)."""
    event_id = image_event_id(run.pass_id, f"{ref.arn}|viewer={viewer}")
    return drift_event(run, ref).model_copy(update={"event_id": event_id, "account_id": viewer})


def sweep_inbound(ctx: LaneContext, account: str, region: str) -> InboundTally:
    """Judge every image owned outside the governed accounts that ``account`` lists as
    shared with it or runs in a fleet or builder; resolve what no longer stands."""
    tally = InboundTally()
    enforcer = ctx.enforcer
    deps = enforcer.deps
    open_here = {
        arn: state
        for (arn, viewer), state in ctx.viewed.items()
        if viewer == account and state.region == region
    }
    if not reads_uses(deps.judge.policy()) and not open_here:
        return tally  # nothing judges these uses, and nothing told before is open
    try:
        listed = list(
            ctx.inventory.list_images(account, region, visibility="SHARED", details=False)
        )
        fleets = ctx.inventory.list_fleets(account, region)
        builders = ctx.inventory.list_image_builders(account, region)
    except AppStreamGatewayError as exc:
        tally.errors.append(f"{account}/{region} (images shared with it): {exc}")
        return tally
    subjects = foreign_images(
        account, region, fleets, builders, governed=deps.governed_accounts, listed=listed
    )
    for image in subjects:
        _judge(ctx, image, account, tally, open_here.pop(image.ref.arn, None) is not None)
    for _arn, state in sorted(open_here.items()):  # announced before, not even listed now
        resolve_announced(
            deps.ledger,
            state,
            cause=f"no fleet or image builder of {account} runs it and it is not shared with "
            f"{account} any more",
            discriminator=f"{ctx.run.pass_id}|{account}",
            now=ctx.now,
        )
    return tally


def _judge(
    ctx: LaneContext, image: ImageSnapshot, account: str, tally: InboundTally, was_open: bool
) -> None:
    enforcer, ref = ctx.enforcer, image.ref
    tally.images += 1
    if not enforcer.evaluate(image, ctx.now).violations():
        tally.compliant += 1
        state = ctx.viewed.get((ref.arn, account))
        if was_open and state is not None:
            resolve_announced(
                enforcer.deps.ledger,
                state,
                cause=f"no fleet or image builder of {account} runs it from an untrusted owner "
                "any more",
                discriminator=f"{ctx.run.pass_id}|{account}",
                now=ctx.now,
            )
        return
    try:
        result = enforcer.enforce_image(inbound_event(ctx.run, ref, account), image)
    except AppStreamGatewayError as exc:
        tally.errors.append(f"{ref.arn} as used by {account}: {exc}")
        return
    if result.status == "duplicate":
        finding = finding_from_bundle(ref, enforcer.deps.ledger.get_event(result.event_id))
    else:
        finding = finding_from_result(ref, result)
    if finding is None:
        tally.standing += 1  # announced before and still standing
    else:
        tally.findings.append(finding)


def resolve_vanished(
    ctx: LaneContext, account: str, region: str, seen: Collection[str]
) -> list[str]:
    """Resolve open findings of the lane's images that no longer exist; errors returned."""
    errors: list[str] = []
    for arn, state in sorted(ctx.announced.items()):
        if arn in seen or (state.account_id, state.region) != (account, region):
            continue
        ref = ImageRef.from_arn(arn)
        try:
            if ctx.inventory.describe_image(ref) is not None:
                continue  # listed in an earlier invocation of the pass: still there
        except AppStreamGatewayError as exc:
            errors.append(f"{arn}: {exc}")
            continue
        resolve_announced(
            ctx.enforcer.deps.ledger,
            state,
            cause="the image no longer exists (the drift sweep did not find it)",
            discriminator=ctx.run.pass_id,
            now=ctx.now,
        )
    return errors
