"""Sweeping one lane (one account in one region) with a bounded number of calls in flight.

AppStream throttles per account and region, so each lane has its own bound
(``calls_in_flight``): that many images are read (and, when drifted, remedied) at once,
each by one thread doing its calls one after the other. Lanes run in parallel with each
other. The time budget is checked before each page and before each image; when it runs
short the lane writes its checkpoint (page token + names done on that page) and releases
its lease, so the next invocation resumes exactly there. A checkpoint is also written
after every page, so a crash costs at most one page, whose images are then re-checked
(an image already acted on is found by its event id, never acted on twice).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

from govbot.domain import ImageSnapshot
from govbot.enforcer.announce import resolve_announced
from govbot.enforcer.drift_summary import DriftFinding
from govbot.enforcer.exits import ExitReader, reads_exits, remedy_and_record
from govbot.enforcer.sweep.context import LaneContext
from govbot.enforcer.sweep.inbound import resolve_vanished, sweep_inbound
from govbot.enforcer.sweep.report import finding_from_bundle, finding_from_result, new_finding
from govbot.enforcer.sweep.schedule import drift_event, image_event_id
from govbot.exit_facts import ImageExport
from govbot.gateways.appstream import (
    AppStreamGatewayError,
    Throttled,
)
from govbot.gateways.ec2 import Ec2GatewayError
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.records.events import ActionRecord
from govbot.ledger.records.sweep import MAX_LANE_DRIFTED, MAX_LANE_ERRORS, SweepLane
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation


@dataclass
class LaneOutcome:
    """A lane after this invocation: its stored record and what was found on the way."""

    lane: SweepLane
    result: Literal["finished", "stopped", "held", "lost"]
    findings: list[DriftFinding] = field(default_factory=list)


class LaneSweep:
    """Sweeps one lane of the pass from its checkpoint until done or out of time."""

    def __init__(self, ctx: LaneContext, lane: SweepLane) -> None:
        self._ctx = ctx
        self._lane = lane
        self._lock = threading.Lock()
        self._images = 0
        self._compliant = 0
        self._standing = 0
        self._seen: set[str] = set()  # image ARNs this invocation found still there
        self._drifted: list[str] = []
        self._errors: list[str] = []
        self._findings: list[DriftFinding] = []
        self._exports: dict[str, list[ImageExport]] | None = None  # listed once per lane

    # -- the lane ----------------------------------------------------------------------

    def run(self) -> LaneOutcome:
        """Claim the lane, sweep it, write where it stands; never raises gateway errors."""
        ctx, lane = self._ctx, self._lane
        if lane.held_by_other(ctx.owner, ctx.now):
            return LaneOutcome(lane, "held")
        if ctx.deadline.short():
            return LaneOutcome(lane, "stopped")
        resumed = lane.state == "listing"  # an earlier invocation got part of the way
        try:
            self._save(
                state="listing",
                owner=ctx.owner,
                lease_until=ctx.now + timedelta(seconds=ctx.lease_seconds),
            )
        except ConcurrentUpdate:
            return LaneOutcome(lane, "lost")  # another invocation claimed it first
        try:
            return self._sweep(resumed)
        except ConcurrentUpdate:
            return LaneOutcome(self._lane, "lost", self._findings)

    def _sweep(self, resumed: bool) -> LaneOutcome:
        lane = self._lane
        token, done = lane.page_token, set(lane.done_names)
        recheck = resumed  # the page a crashed attempt may have half done
        restarted = False
        while True:
            if self._ctx.deadline.short():
                return self._stop(token, done)
            try:
                page = self._ctx.inventory.image_page(lane.account_id, lane.region, token)
            except AppStreamGatewayError as exc:
                if token is not None and not restarted and not isinstance(exc, Throttled):
                    # A stored token may have expired: start the lane over. Images acted
                    # on already are found by their event ids, so nothing is done twice.
                    token, done, recheck, restarted = None, set(), True, True
                    continue
                self._error(f"{lane.account_id}/{lane.region}: {exc}")
                return self._finish("failed")
            todo = [image for image in page.images if image.ref.name not in done]
            handled = self._sweep_images(todo, recheck)
            done.update(handled)
            recheck = False
            if len(handled) < len(todo):
                return self._stop(token, done)
            if page.next_token is None:
                if self._ctx.deadline.short():
                    return self._stop(token, done)  # resumes here: the page is all done
                self._after_listing()
                return self._finish("done")
            token, done = page.next_token, set()
            self._save(page_token=token, done_names=())

    def _sweep_images(self, images: Sequence[ImageSnapshot], recheck: bool) -> list[str]:
        """Sweep ``images`` with at most ``calls_in_flight`` at once; names handled."""

        def one(index: int) -> str | None:
            # The first image of a fetched page always goes ahead (the reserve covers it):
            # every page read makes progress, so a short budget can slow a lane, never
            # stall it on re-reading the same page forever.
            if index and self._ctx.deadline.short():
                return None
            self._sweep_image(images[index], recheck)
            return images[index].ref.name

        workers = max(1, min(self._ctx.calls_in_flight, len(images)))
        if workers == 1:
            results = [one(index) for index in range(len(images))]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(one, range(len(images))))
        return [name for name in results if name is not None]

    # -- one image ---------------------------------------------------------------------

    def _sweep_image(self, listed: ImageSnapshot, recheck: bool) -> None:
        ctx, ref = self._ctx, listed.ref
        enforcer = ctx.enforcer
        try:
            image = ctx.inventory.with_details(listed)
            if image is None:
                return  # deleted since the listing (resolved after the listing)
            with self._lock:
                self._seen.add(ref.arn)
            policy = enforcer.deps.judge.policy()
            exits = ctx.exits if ctx.exits is not None and reads_exits(policy) else None
            if exits is not None:
                image = exits.enrich(image, policy, exports=self._lane_exports(exits))
            evaluation = enforcer.evaluate(image, ctx.now)
            drifted = bool(evaluation.violations())
            if not drifted:
                # Compliant now; on a re-checked page it may be compliant because we fixed it.
                earlier = self._earlier(image) if recheck else None
                self._tally(image, earlier)
                if ref.arn in ctx.announced:
                    resolve_announced(
                        enforcer.deps.ledger,
                        ctx.announced[ref.arn],
                        cause="the drift sweep found it compliant",
                        discriminator=ctx.run.pass_id,
                        now=ctx.now,
                    )
                return
            # The snapshot just read is passed through: the enforcer does not read it again.
            result = enforcer.enforce_image(drift_event(ctx.run, ref), image)
            remedied: list[ActionRecord] = []
            if exits is not None:
                remedied = self._remedy_exits(exits, result.event_id, image, evaluation, policy)
        except (AppStreamGatewayError, Ec2GatewayError) as exc:
            # Reported; the image's event (if any) stays "received" and the next pass
            # re-checks it.
            self._error(f"{ref.arn}: {exc}")
            return
        if result.status == "duplicate":
            finding = finding_from_bundle(ref, enforcer.deps.ledger.get_event(result.event_id))
        else:
            finding = finding_from_result(ref, result)
        if remedied:  # exit remedies (EC2, UpdateImageBuilder) count as corrections too
            finding = (
                new_finding(ref, result.event_id, tuple(remedied), ())
                if finding is None
                else replace(finding, remedies=(*finding.remedies, *remedied))
            )
        # Violations that stand, announced before: neither compliant nor news.
        self._tally(image, finding, standing=finding is None)

    def _remedy_exits(
        self,
        exits: ExitReader,
        event_id: str,
        image: ImageSnapshot,
        evaluation: Evaluation,
        policy: Policy,
    ) -> list[ActionRecord]:
        """Enforce mode's exit remedies for ``image``, recorded under its event and told;
        returns their action records."""
        records, errors = remedy_and_record(
            exits,
            self._ctx.enforcer.deps.ledger,
            event_id,
            image,
            evaluation,
            policy,
            actor_arn=self._ctx.run.actor_arn,
            now=self._ctx.now,
        )
        for error in errors:
            self._error(error)
        return records

    def _lane_exports(self, exits: ExitReader) -> dict[str, list[ImageExport]]:
        """The lane's export tasks by image ARN (ListExportImageTasks once per lane)."""
        with self._lock:
            if self._exports is None:
                self._exports = exits.export_tasks(self._lane.account_id, self._lane.region)
            return self._exports

    def _after_listing(self) -> None:
        """Once every private image is swept: others' images in use, and images gone."""
        ctx, lane = self._ctx, self._lane
        inbound = sweep_inbound(ctx, lane.account_id, lane.region)
        with self._lock:
            self._images += inbound.images
            self._compliant += inbound.compliant
            self._standing += inbound.standing
            self._findings += inbound.findings
            self._drifted += [f.image_arn for f in inbound.findings]
            self._errors += inbound.errors
        for error in resolve_vanished(ctx, lane.account_id, lane.region, self._seen):
            self._error(error)

    def _earlier(self, image: ImageSnapshot) -> DriftFinding | None:
        event_id = image_event_id(self._ctx.run.pass_id, image.ref.arn)
        bundle = self._ctx.enforcer.deps.ledger.get_event(event_id)
        return finding_from_bundle(image.ref, bundle) if bundle.is_final else None

    def _tally(
        self, image: ImageSnapshot, finding: DriftFinding | None, *, standing: bool = False
    ) -> None:
        with self._lock:
            self._images += 1
            if finding is None and standing:
                self._standing += 1
            elif finding is None:
                self._compliant += 1  # compliant, or an event (or a person) fixed it
            else:
                self._findings.append(finding)
                self._drifted.append(image.ref.arn)

    def _error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    # -- the checkpoint ----------------------------------------------------------------

    def _stop(self, token: str | None, done: set[str]) -> LaneOutcome:
        """Out of time: keep the place and release the lease for the next invocation."""
        self._save(page_token=token, done_names=tuple(sorted(done)), owner=None, lease_until=None)
        return LaneOutcome(self._lane, "stopped", self._findings)

    def _finish(self, state: Literal["done", "failed"]) -> LaneOutcome:
        update: dict[str, Any] = {"state": state, "page_token": None, "done_names": ()}
        if state == "done":
            update["last_swept_at"] = self._ctx.now
        # A failed lane keeps its old last_swept_at: the next pass tries it early.
        self._save(owner=None, lease_until=None, **update)
        return LaneOutcome(self._lane, "finished", self._findings)

    def _save(self, **update: Any) -> None:
        """Write the lane with this invocation's tallies folded in (optimistic lock)."""
        lane = self._lane
        with self._lock:
            drifted = tuple(dict.fromkeys((*lane.drifted, *self._drifted)))[:MAX_LANE_DRIFTED]
            errors = (*lane.errors, *self._errors)[:MAX_LANE_ERRORS]
            update |= {
                "images": lane.images + self._images,
                "compliant": lane.compliant + self._compliant,
                "standing": lane.standing + self._standing,
                "drifted": drifted,
                "errors": errors,
                "error_count": lane.error_count + len(self._errors),
            }
            self._images = self._compliant = self._standing = 0
            self._drifted, self._errors = [], []
        changed = lane.model_copy(update=update)
        self._lane = self._ctx.checkpoint.put_sweep_record(
            changed, expected_version=lane.version if lane.version else None
        )
