"""The drift sweep: on a schedule, enforce the policy on every private image it can list.

Events can be missed (a spoke forwarder down, a delivery failure, a share made before
govbot was deployed). One run lists every private image of every governed account and
region, evaluates it with the same engine as an event, and hands each image that breaks
the policy to ``Enforcer.enforce_image`` under a synthetic ``DriftSweep`` event, so it
leaves the same ledger story (decisions, actions, outbox) as a CloudTrail event would.

Ids derive from the scheduled event's ``id``: a retried invocation of the same run finds
its own records and neither acts nor notifies twice. Compliant images leave nothing but
the counts in the run's summary record; one ``drift_found`` item per run says what was
found. An account or region that cannot be read is reported and the rest is still swept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from govbot.domain import ImageRef, ImageSnapshot
from govbot.enforcer import outcomes
from govbot.enforcer.announce import sweep_followups
from govbot.enforcer.expiry import expire_exemptions
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.outcomes import DriftFinding, DriftRun, LeftViolation
from govbot.enforcer.ports import EnforcementResult
from govbot.enforcer.recovery import INTERRUPTED
from govbot.events import ParsedEvent
from govbot.gateways.appstream import AppStreamGatewayError
from govbot.ledger.records.events import ActionRecord, EventBundle, EventRecord
from govbot.ledger.records.outbox import OutboxItem

SWEEP_EVENT_NAME = "DriftSweep"
SCHEDULE_SOURCES = frozenset({"aws.events", "aws.scheduler"})
SCHEDULED_DETAIL_TYPE = "Scheduled Event"
RUN_PREFIX = "DRIFTRUN-"
IMAGE_PREFIX = "DRIFT-"
# Stop starting new account/regions when the invocation has less than this left, so the
# run can still commit its summary; the next run sweeps what this one could not.
DEFAULT_RESERVE_MS = 15_000


class InventoryPort(Protocol):
    """What the sweep needs from the AppStream gateway on top of the enforcer's port."""

    def list_images(
        self,
        account_id: str,
        region: str,
        *,
        visibility: Literal["PRIVATE", "SHARED", "PUBLIC"] = "PRIVATE",
        details: bool = True,
    ) -> Iterable[ImageSnapshot]: ...


@dataclass(frozen=True)
class ScheduleTick:
    """The scheduled invocation that starts one run."""

    event_id: str
    time: datetime
    actor_arn: str  # the schedule rule (or schedule) ARN
    account_id: str
    region: str
    raw: str

    @property
    def run_event_id(self) -> str:
        """The run's summary event id (same for every retry of this invocation)."""
        return RUN_PREFIX + _digest(self.event_id)

    def image_event_id(self, image_arn: str) -> str:
        """The synthetic event id of ``image_arn`` in this run."""
        return IMAGE_PREFIX + _digest(f"{self.event_id}|{image_arn}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def is_scheduled(event: Mapping[str, Any]) -> bool:
    """True for a schedule's invocation (EventBridge rule or EventBridge Scheduler)."""
    return "Records" not in event and (
        event.get("detail-type") == SCHEDULED_DETAIL_TYPE or event.get("source") in SCHEDULE_SOURCES
    )


def parse_schedule(event: Mapping[str, Any], now: datetime) -> ScheduleTick:
    """The run identity inside a ``Scheduled Event`` envelope.

    Raises ``ValueError`` naming the field when ``id`` is missing (a run without an id
    could not be told from its own retry) or ``time`` is not ISO-8601.
    """
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id.strip():
        raise ValueError(
            "scheduled event: field 'id' must be a non-empty string (it makes the sweep "
            f"idempotent across retries); got {event_id!r}"
        )
    raw_time = event.get("time")
    when = now
    if raw_time is not None:
        try:
            when = datetime.fromisoformat(str(raw_time).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"scheduled event: field 'time' must be ISO-8601 like "
                f"2026-01-01T00:00:00Z; got {raw_time!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    resources = event.get("resources")
    first = resources[0] if isinstance(resources, list) and resources else None
    source = str(event.get("source") or "schedule")
    return ScheduleTick(
        event_id=event_id.strip(),
        time=when,
        actor_arn=str(first) if first else f"{source}:unknown-schedule",
        account_id=str(event.get("account") or ""),
        region=str(event.get("region") or ""),
        raw=json.dumps(dict(event), sort_keys=True, default=str),
    )


def drift_event(tick: ScheduleTick, ref: ImageRef) -> ParsedEvent:
    """A ParsedEvent standing for "the sweep found this image", for ``enforce_image``."""
    raw = {"source": "govbot.sweep", "schedule_event_id": tick.event_id, "image_arn": ref.arn}
    # model_construct: like work_event, no CloudTrail params exist; every field read
    # downstream is set here.
    return ParsedEvent.model_construct(
        event_id=tick.image_event_id(ref.arn),
        envelope_id=tick.event_id,
        event_name=SWEEP_EVENT_NAME,
        event_type="service_event",
        event_time=tick.time,
        region=ref.region,
        account_id=ref.account_id,
        actor_arn=tick.actor_arn,
        image_name=ref.name,
        image_arn=ref.arn,
        shared_account_id=None,
        permissions=None,
        error_code=None,
        tags={},
        tag_keys=(),
        params=None,
        raw=json.dumps(raw, sort_keys=True),
    )


@dataclass
class DriftSweepReport:
    """What one run saw and did (the handler's return value, and the summary's counts)."""

    run_event_id: str
    status: Literal["processed", "duplicate"] = "processed"
    swept: list[str] = field(default_factory=list)  # "account/region" listed completely
    images: int = 0
    compliant: int = 0
    standing: int = 0  # images whose violations were all announced before
    findings: list[DriftFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    note: str = ""
    listed: set[str] = field(default_factory=set)  # ARNs of every image listed
    compliant_arns: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        """The numbers kept on the summary record and in the notification."""
        remedies = [a for f in self.findings for a in f.remedies]
        failed = sum(1 for a in remedies if a.status != "succeeded")
        return {
            "regions_swept": len(self.swept),
            "images": self.images,
            "compliant": self.compliant,
            "drifted": len(self.findings),
            "remedied": len(remedies) - failed,
            "failed": failed,
            "left": sum(len(f.left) for f in self.findings),
            "standing": self.standing,
            "errors": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report (handler output and logs)."""
        return {
            "run_event_id": self.run_event_id,
            "status": self.status,
            "counts": self.counts(),
            "swept": self.swept,
            "drifted": [f.image_arn for f in self.findings],
            "errors": self.errors,
            "note": self.note,
        }


class DriftSweep:
    """Runs the scheduled sweep with an enforcer and an image inventory."""

    def __init__(
        self,
        enforcer: Enforcer,
        inventory: InventoryPort,
        *,
        reserve_ms: int = DEFAULT_RESERVE_MS,
    ) -> None:
        self._enforcer = enforcer
        self._inventory = inventory
        self._reserve_ms = reserve_ms

    def run(
        self, tick: ScheduleTick, remaining_ms: Callable[[], int] | None = None
    ) -> DriftSweepReport:
        """Sweep every governed account and region once; safe to run again with ``tick``."""
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
        # One run judges every image with one view of the policy, members and exemptions.
        inputs = deps.judge.inputs(now)
        enforcer = Enforcer(replace(deps, judge=deps.judge.fixed(inputs)))
        for account in sorted(deps.governed_accounts):
            for region in sorted(deps.governed_regions):
                if remaining_ms is not None and remaining_ms() < self._reserve_ms:
                    report.errors.append(f"{account}/{region}: skipped, out of time this run")
                    continue
                try:
                    images = list(self._inventory.list_images(account, region))
                except AppStreamGatewayError as exc:
                    report.errors.append(f"{account}/{region}: {exc}")
                    continue
                report.swept.append(f"{account}/{region}")
                for image in images:
                    # A retry re-checks what the earlier attempt may already have fixed.
                    self._sweep_image(enforcer, tick, image, report, retry=summary.exists)
        # Exemptions run out without any event: the sweep is the clock that notices.
        expired = expire_exemptions(deps.ledger, inputs.policy.exemptions, now)
        counts = report.counts()
        report.note = "drift sweep: " + ", ".join(f"{k}={v}" for k, v in counts.items())
        if expired:
            report.note += f", exemptions_expired={expired}"
        outbox: list[OutboxItem] = []
        if report.findings or report.errors:
            run = DriftRun(
                event_id=tick.run_event_id,
                actor_arn=tick.actor_arn,
                region=tick.region,
                account_id=tick.account_id,
                occurred_at=tick.time,
            )
            outbox.append(outcomes.drift_item(run, report.findings, report.errors, counts))
        followups, announced = sweep_followups(
            ledger,
            run_event_id=tick.run_event_id,
            now=now,
            interval_hours=inputs.policy.notifications.reminder_interval_hours,
            swept=report.swept,
            listed=report.listed,
            compliant=report.compliant_arns,
        )
        outbox += followups
        if not ledger.commit_outcome(tick.run_event_id, outbox=outbox, note=report.note):
            report.status = "duplicate"  # a concurrent attempt of the same run finished first
            return report
        for state in announced:
            ledger.put_announced(state)
        return report

    def _sweep_image(
        self,
        enforcer: Enforcer,
        tick: ScheduleTick,
        image: ImageSnapshot,
        report: DriftSweepReport,
        *,
        retry: bool,
    ) -> None:
        report.images += 1
        ref = image.ref
        report.listed.add(ref.arn)
        try:
            drifted = bool(enforcer.evaluate(image, enforcer.deps.clock()).violations())
            if not drifted:
                # Compliant now; on a retry it may be compliant because we fixed it.
                earlier = self._earlier(tick, ref) if retry else None
                if earlier is None:
                    report.compliant += 1
                    report.compliant_arns.add(ref.arn)
                else:
                    report.findings.append(earlier)
                return
            result = enforcer.enforce_image(drift_event(tick, ref))
        except AppStreamGatewayError as exc:
            # The image's event stays "received": the next attempt of this run retries it.
            report.errors.append(f"{ref.arn}: {exc}")
            return
        finding = self._finding(ref, result)
        if finding is None and result.evaluation and result.evaluation.audit_violations():
            report.standing += 1  # left for people and announced before: not news
        elif finding is None:
            report.compliant += 1  # an event (or a person) fixed it since the listing
            report.compliant_arns.add(ref.arn)
        else:
            report.findings.append(finding)

    def _finding(self, ref: ImageRef, result: EnforcementResult) -> DriftFinding | None:
        if result.status == "duplicate":
            return self._from_bundle(ref, self._enforcer.deps.ledger.get_event(result.event_id))
        left = tuple(
            LeftViolation(v.rule_id, v.account_id, v.permission, v.severity)
            for v in result.fresh  # standing ones announced before are not news
        )
        if not result.actions and not left:
            return None
        return _new_finding(ref, result.event_id, result.actions, left)

    def _earlier(self, tick: ScheduleTick, ref: ImageRef) -> DriftFinding | None:
        bundle = self._enforcer.deps.ledger.get_event(tick.image_event_id(ref.arn))
        return self._from_bundle(ref, bundle) if bundle.is_final else None

    @staticmethod
    def _from_bundle(ref: ImageRef, bundle: EventBundle) -> DriftFinding | None:
        """What an earlier attempt of this run recorded for the image."""
        left = tuple(
            LeftViolation(d.rule_id, None if d.account_id == "-" else d.account_id, d.permission)
            for d in bundle.decisions
            if d.outcome == "violation" and d.mode == "audit"
        )
        if not bundle.actions and not left:
            return None
        return _new_finding(ref, bundle.event_id, bundle.actions, left)

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


def _new_finding(
    ref: ImageRef,
    event_id: str,
    actions: Iterable[ActionRecord],
    left: tuple[LeftViolation, ...],
) -> DriftFinding:
    # An attempt a crash interrupted was superseded by the re-evaluation: not a finding.
    remedies = tuple(a for a in actions if a.error != INTERRUPTED)
    return DriftFinding(
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        owner_account_id=ref.account_id,
        event_id=event_id,
        remedies=remedies,
        left=left,
    )
