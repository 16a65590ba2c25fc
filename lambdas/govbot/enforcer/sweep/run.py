"""``DriftSweep``: one invocation of the scheduled sweep, resuming the pass where it stopped.

An invocation: record its summary event (a retried invocation whose summary is final is a
duplicate and does nothing), read the checkpoint, open a pass or resume the open one, sweep
the unfinished lanes in parallel (each lane bounded in calls in flight), then either close
the pass (every lane done: one ``drift_found`` notification for the whole pass, committed
with this invocation's summary) or leave it open for the next invocation.

Exactly once: images are acted on under an event id derived from the pass and the image,
so whichever invocation meets an image again finds its record; the pass's notification
has an id derived from the pass, so closing it twice notifies once; a lane is swept by one
invocation at a time (a lease taken with a conditional write).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, cast

from govbot.domain import ImageRef
from govbot.enforcer import drift_summary
from govbot.enforcer.announce import pass_reminders
from govbot.enforcer.drift_summary import DriftFinding, DriftRun
from govbot.enforcer.exits import ExitReader
from govbot.enforcer.expiry import expire_exemptions
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.sweep.context import CheckpointPort, Deadline, InventoryPort, LaneContext
from govbot.enforcer.sweep.lanes import LaneOutcome, LaneSweep
from govbot.enforcer.sweep.plan import PassPlan, plan_pass
from govbot.enforcer.sweep.report import DriftSweepReport, finding_from_bundle
from govbot.enforcer.sweep.schedule import (
    SWEEP_EVENT_NAME,
    PassIdentity,
    ScheduleTick,
    image_event_id,
)
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.records.events import EventRecord
from govbot.ledger.records.inputs import OutcomeCommit
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import AnnouncedState
from govbot.ledger.records.sweep import SweepLane, SweepPass

# Stop starting new work when the invocation has less than this left, so in-flight images
# finish and the checkpoint and summary are written; the next invocation resumes.
DEFAULT_RESERVE_MS = 15_000


@dataclass(frozen=True)
class SweepSettings:
    """How hard the sweep may push AppStream, and how it shares its time.

    ``calls_in_flight``: AppStream calls at once per account+region (AppStream throttles
    per account and region). ``parallel_lanes``: account+regions swept at once.
    ``lease_seconds``: how long a lane is held when the invocation's time is unknown.
    """

    calls_in_flight: int = 2
    parallel_lanes: int = 16
    reserve_ms: int = DEFAULT_RESERVE_MS
    lease_seconds: int = 900

    def __post_init__(self) -> None:
        for name in ("calls_in_flight", "parallel_lanes", "lease_seconds"):
            if getattr(self, name) < 1:
                raise ValueError(f"SweepSettings.{name} must be >= 1, got {getattr(self, name)}")
        if self.reserve_ms < 0:
            raise ValueError(f"SweepSettings.reserve_ms must be >= 0, got {self.reserve_ms}")


class DriftSweep:
    """Runs the scheduled sweep with an enforcer, an image inventory and a checkpoint.

    ``checkpoint`` defaults to the enforcer's ledger (the real ``Ledger`` has both).
    """

    def __init__(
        self,
        enforcer: Enforcer,
        inventory: InventoryPort,
        *,
        checkpoint: CheckpointPort | None = None,
        settings: SweepSettings | None = None,
        reserve_ms: int | None = None,
        exits: ExitReader | None = None,
    ) -> None:
        self._enforcer = enforcer
        self._exits = exits
        self._inventory = inventory
        self._checkpoint = checkpoint or cast(CheckpointPort, enforcer.deps.ledger)
        settings = settings or SweepSettings()
        if reserve_ms is not None:
            settings = replace(settings, reserve_ms=reserve_ms)
        self._settings = settings

    def run(
        self, tick: ScheduleTick, remaining_ms: Callable[[], int] | None = None
    ) -> DriftSweepReport:
        """Work on the pass for ``tick``; safe to run again with ``tick`` (a retry)."""
        deps = self._enforcer.deps
        ledger = deps.ledger
        report = DriftSweepReport(run_event_id=tick.run_event_id)
        summary = ledger.get_event(tick.run_event_id)
        if summary.is_final:
            report.status = "duplicate"
            report.note = (summary.event.note or "") if summary.event else ""
            return report
        if not summary.exists:
            ledger.record_event(self._summary_record(tick))
        now = deps.clock()
        # One invocation judges every image with one view of the policy, members and
        # exemptions, read before any lane thread starts (nothing lazy left to race on).
        inputs = deps.judge.inputs(now)
        enforcer = Enforcer(replace(deps, judge=deps.judge.fixed(inputs)))
        plan = self._plan(tick)
        report.pass_id, report.lanes_total = plan.pass_id, len(plan.lanes)
        identity = PassIdentity(
            plan.pass_id, plan.sweep_pass.actor_arn or tick.actor_arn, plan.sweep_pass.opened_at
        )
        deadline = Deadline(remaining_ms, self._settings.reserve_ms)
        ctx = LaneContext(
            enforcer=enforcer,
            inventory=self._inventory,
            checkpoint=self._checkpoint,
            run=identity,
            deadline=deadline,
            owner=uuid.uuid4().hex,
            now=now,
            calls_in_flight=self._settings.calls_in_flight,
            lease_seconds=deadline.lease_seconds(self._settings.lease_seconds),
            exits=self._exits,
            **_announced_maps(ledger.open_announcements()),
        )
        results = self._sweep_lanes(ctx, plan.unfinished())
        lanes = _merge(plan.lanes, results)
        closing = all(lane.finished(plan.pass_id) for lane in lanes)
        _fill(report, lanes, plan.pass_id)
        if closing:
            found = [f for o in results for f in o.findings]
            report.findings = self._pass_findings(identity, lanes, found)
        else:
            report.findings = [f for o in results for f in o.findings]
        # Exemptions run out without any event: the sweep is the clock that notices.
        expired = expire_exemptions(ledger, inputs.policy.exemptions, now)
        report.note = self._note(report, plan, lanes, closing, expired)
        outbox: list[OutboxItem] = []
        if closing and (report.findings or report.errors):
            outbox.append(self._drift_item(identity, plan.sweep_pass, report))
        reminded: list[AnnouncedState] = []
        if closing:
            # Standing violations announced before: at most one digest per interval.
            reminders, reminded = pass_reminders(
                ledger,
                run_event_id=identity.run_event_id,
                now=now,
                interval_hours=inputs.policy.notifications.reminder_interval_hours,
            )
            outbox += reminders
        # The summary first: if the pass record is not closed after it (a crash), the next
        # invocation closes it again and the pass's notification, same id, is not re-sent.
        if not ledger.commit_outcome(
            OutcomeCommit(tick.run_event_id, outbox=outbox, note=report.note)
        ):
            report.status = "duplicate"  # a concurrent attempt of the same tick finished first
        else:
            for state in reminded:
                ledger.put_announced(state)
        if closing:
            self._close(plan.sweep_pass)
            report.pass_closed = True
        return report

    # -- steps -------------------------------------------------------------------------

    def _plan(self, tick: ScheduleTick) -> PassPlan:
        deps = self._enforcer.deps
        for attempt in range(2):
            current, lanes = self._checkpoint.sweep_checkpoint()
            plan = plan_pass(
                current, lanes, deps.governed_accounts, deps.governed_regions, tick, deps.clock()
            )
            if not plan.opens:
                return plan
            try:
                stored = self._checkpoint.put_sweep_record(
                    plan.sweep_pass, expected_version=plan.expected_version
                )
            except ConcurrentUpdate:
                if attempt:
                    raise
                continue  # another invocation opened a pass meanwhile: resume that one
            return replace(plan, sweep_pass=stored, opens=False)
        raise AssertionError("unreachable")

    def _sweep_lanes(self, ctx: LaneContext, lanes: list[SweepLane]) -> list[LaneOutcome]:
        if not lanes:
            return []
        workers = min(self._settings.parallel_lanes, len(lanes))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep-lane") as pool:
            # Submitted in plan order: started lanes, then the least recently swept.
            return list(pool.map(lambda lane: LaneSweep(ctx, lane).run(), lanes))

    def _pass_findings(
        self, identity: PassIdentity, lanes: Iterable[SweepLane], found: list[DriftFinding]
    ) -> list[DriftFinding]:
        """Every finding of the pass: this invocation's, and the earlier invocations' read
        back from the ledger (their image events)."""
        ledger = self._enforcer.deps.ledger
        known = {f.image_arn for f in found}
        findings = list(found)
        for lane in lanes:
            for arn in lane.drifted:
                if arn in known:
                    continue
                ref = ImageRef.from_arn(arn)
                bundle = ledger.get_event(image_event_id(identity.pass_id, arn))
                finding = finding_from_bundle(ref, bundle) if bundle.exists else None
                if finding is not None:
                    findings.append(finding)
                    known.add(arn)
        return sorted(findings, key=lambda f: f.image_arn)

    def _drift_item(
        self, identity: PassIdentity, sweep_pass: SweepPass, report: DriftSweepReport
    ) -> OutboxItem:
        run = DriftRun(
            event_id=identity.run_event_id,
            actor_arn=identity.actor_arn,
            region=sweep_pass.region,
            account_id=sweep_pass.account_id,
            occurred_at=identity.occurred_at,
        )
        return drift_summary.drift_item(run, report.findings, report.errors, report.counts())

    def _close(self, sweep_pass: SweepPass) -> None:
        if sweep_pass.status == "closed":
            return
        closed = sweep_pass.model_copy(
            update={"status": "closed", "closed_at": self._enforcer.deps.clock()}
        )
        # ConcurrentUpdate: another invocation closed (or reopened) it; nothing left for us.
        with contextlib.suppress(ConcurrentUpdate):
            self._checkpoint.put_sweep_record(closed, expected_version=sweep_pass.version)

    @staticmethod
    def _note(
        report: DriftSweepReport,
        plan: PassPlan,
        lanes: list[SweepLane],
        closing: bool,
        expired: int,
    ) -> str:
        counts = report.counts()
        note = "drift sweep: " + ", ".join(f"{k}={v}" for k, v in counts.items())
        if not closing:
            left = sum(1 for lane in lanes if not lane.finished(plan.pass_id))
            note += f", pass {plan.pass_id} continues ({left} account/region(s) left)"
        if expired:
            note += f", exemptions_expired={expired}"
        return note

    def _summary_record(self, tick: ScheduleTick) -> EventRecord:
        return EventRecord(
            event_id=tick.run_event_id,
            event_name=SWEEP_EVENT_NAME,
            status="received",
            actor_arn=tick.actor_arn,
            region=tick.region or None,
            account_id=tick.account_id or None,
            occurred_at=tick.time,
            received_at=self._enforcer.deps.clock(),
            raw=tick.raw,
        )


def _merge(planned: Iterable[SweepLane], results: Iterable[LaneOutcome]) -> list[SweepLane]:
    """The plan's lanes with what this invocation stored in their place."""
    latest = {(o.lane.account_id, o.lane.region): o.lane for o in results}
    return [latest.get((lane.account_id, lane.region), lane) for lane in planned]


def _fill(report: DriftSweepReport, lanes: list[SweepLane], pass_id: str) -> None:
    """The pass's totals so far, from the lane records."""
    mine = [lane for lane in lanes if lane.pass_id == pass_id]
    report.swept = sorted(lane.name for lane in mine if lane.state == "done")
    report.images = sum(lane.images for lane in mine)
    report.compliant = sum(lane.compliant for lane in mine)
    report.standing = sum(lane.standing for lane in mine)
    report.errors = [e for lane in sorted(mine, key=lambda x: x.name) for e in lane.errors]


def _announced_maps(states: Iterable[AnnouncedState]) -> dict[str, Any]:
    """Open announced states: the owners' by image ARN, the viewers' by (ARN, viewer)."""
    owners = {s.image_arn: s for s in states if s.viewer_account_id is None}
    viewed = {
        (s.image_arn, s.viewer_account_id): s for s in states if s.viewer_account_id is not None
    }
    return {"announced": owners, "viewed": viewed}
