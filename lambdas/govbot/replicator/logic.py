"""Golden image replication: events and the scheduled sweep drive copy jobs to completion.

AppStream emits no event when an image becomes AVAILABLE or a copy finishes, so events
only *start* work early (an image became golden, a golden image was built, something was
deleted); the sweep is what carries every copy through. Both paths end in the same
idempotent job runner (``govbot.replicator.jobs``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from govbot.domain import ImageRef, ImageSnapshot
from govbot.events import IgnoredEvent, ParsedEvent, RejectedEvent, event_spec, parse_event
from govbot.gateways.appstream import AppStreamGatewayError
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.records.state import CopyJob
from govbot.replicator import notifications
from govbot.replicator.jobs import JobRunner
from govbot.replicator.plan import (
    CopyTarget,
    SlotBook,
    golden_targets,
    is_replica,
    start_order,
    superseded,
)
from govbot.replicator.ports import ReplicatorDeps
from govbot.replicator.retention import apply_retention
from govbot.replicator.run import Run

log = logging.getLogger(__name__)

EventStatus = Literal["processed", "ignored", "rejected"]


@dataclass(frozen=True)
class EventOutcome:
    """What one trigger event led to (for logs, metrics and tests)."""

    status: EventStatus
    event_id: str | None
    note: str = ""


@dataclass
class ReplicationPassReport:
    """What one replicator pass (over every golden source and copy job) saw and did."""

    sources: int = 0
    jobs: dict[str, str] = field(default_factory=dict)  # "<source_arn> -> <region>": state
    sources_deleted: list[str] = field(default_factory=list)
    retention: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for state in self.jobs.values():
            states[state] = states.get(state, 0) + 1
        return {
            "sources": self.sources,
            "jobs": states,
            "sources_deleted": self.sources_deleted,
            "retention": self.retention,
            "errors": self.errors,
        }


class Replicator:
    """Copies golden images to their destination regions; safe to run again at any time."""

    def __init__(self, deps: ReplicatorDeps) -> None:
        self._deps = deps

    @property
    def deps(self) -> ReplicatorDeps:
        """What this replicator was built with (read-only)."""
        return self._deps

    # -- events ---------------------------------------------------------------------------

    def handle_event(self, body: str | bytes | dict[str, Any]) -> EventOutcome:
        """React to one trigger event (an SQS message body): start work, never trust it."""
        deps = self._deps
        parsed = parse_event(
            body, governed_accounts=deps.governed_accounts, governed_regions=deps.governed_regions
        )
        if isinstance(parsed, RejectedEvent):
            # The enforcer receives the same event and records the rejection in the ledger.
            return EventOutcome("rejected", parsed.event_id, parsed.reason)
        if isinstance(parsed, IgnoredEvent):
            return EventOutcome("ignored", parsed.event_id, parsed.reason)
        if parsed.failed:
            return EventOutcome("ignored", parsed.event_id, f"call failed ({parsed.error_code})")
        ref = parsed.image_ref
        if ref is None:
            return EventOutcome("ignored", parsed.event_id, "the event names no image")
        # What each event calls for is its EventSpec's ``replicator`` step (events/catalogue).
        spec = event_spec(parsed.event_name)
        step = spec.replicator if spec is not None else None
        if step == "replicate":
            return EventOutcome("processed", parsed.event_id, self.replicate(ref))
        if step == "copied":
            return EventOutcome("processed", parsed.event_id, self._on_copy(parsed, ref))
        if step == "deleted":
            return EventOutcome("processed", parsed.event_id, self.on_deleted(ref))
        return EventOutcome("ignored", parsed.event_id, f"{parsed.event_name} starts no copy")

    def replicate(self, ref: ImageRef) -> str:
        """Make sure ``ref`` has a copy job per destination and push them as far as possible."""
        run = self._new_run(self._deps.ledger.active_copy_jobs())
        source = run.image(ref)
        if source is None:
            return f"image {ref.arn} does not exist (any more)"
        if is_replica(source):
            return "a govbot copy: copies are never copied again"
        targets = golden_targets(source, run.policy)
        if not targets:
            return "not golden under the policy (or no destination outside its region)"
        if self._family_superseded(source, run):
            return "superseded by a newer image of its golden family: not copied"
        jobs = [self._ensure_job(target, run) for target in targets]
        states = [JobRunner(run).advance(job).state for job in jobs if job is not None]
        return f"{len(targets)} destination(s): " + ", ".join(
            f"{t.destination_region}={s}" for t, s in zip(targets, states, strict=False)
        )

    def _on_copy(self, event: ParsedEvent, ref: ImageRef) -> str:
        region = event.destination_region
        job = self._deps.ledger.get_copy_job(ref.arn, region) if region else None
        if job is None:
            return "not a golden copy job (a person's copy): nothing to do"
        run = self._new_run(self._deps.ledger.active_copy_jobs())
        return f"job {JobRunner(run).advance(job).state}"

    def on_deleted(self, ref: ImageRef) -> str:
        """A deleted golden source is reported; a deleted copy is copied again (via sweep)."""
        jobs = list(self._deps.ledger.by_image(ref.arn, kinds={"copyjob"}))
        copy_jobs = [j for j in jobs if isinstance(j, CopyJob)]
        if copy_jobs and self._deps.appstream.describe_image(ref) is None:
            self._report_source_deleted(ref.arn, copy_jobs)
            return "golden source deleted: reported, copies kept"
        # Maybe one of our copies: the sweep re-copies whatever a destination lacks.
        report = self.sweep()
        return f"swept after a deletion: {report.as_dict()['jobs']}"

    # -- the sweep ------------------------------------------------------------------------

    def sweep(self) -> ReplicationPassReport:
        """Create missing jobs, advance every job, report vanished sources, apply retention."""
        deps = self._deps
        report = ReplicationPassReport()
        active = deps.ledger.active_copy_jobs()
        run = self._new_run(())
        inventory = self._inventory(run, report)
        golden = [
            image
            for image in inventory
            if not is_replica(image) and golden_targets(image, run.policy)
        ]
        report.sources = len(golden)
        old = superseded(golden, run.policy)
        jobs: dict[tuple[str, str], CopyJob] = {
            (j.source_arn, j.destination_region): j for j in active
        }
        for source in golden:
            for target in golden_targets(source, run.policy):
                if source.ref.arn in old and target.key not in jobs:
                    # Superseded: finish what is in flight, start nothing, re-copy nothing.
                    continue
                job = self._ensure_job(target, run, jobs.get(target.key))
                if job is not None:
                    jobs[target.key] = job
        self._report_vanished_sources(jobs.values(), run, report)
        runner = JobRunner(run)
        # Moving jobs first frees their slots; then waiting jobs start in arrival order.
        moving = [j for j in jobs.values() if j.state not in ("queued", "failed")]
        results = {(j.source_arn, j.destination_region): runner.advance(j) for j in moving}
        run.slots = SlotBook(
            run.policy.replication.max_concurrent_copies_per_region, results.values()
        )
        for job in start_order(j for j in jobs.values() if j.state in ("queued", "failed")):
            results[(job.source_arn, job.destination_region)] = runner.advance(job)
        report.jobs = {f"{s} -> {r}": j.state for (s, r), j in sorted(results.items())}
        report.retention = apply_retention(run, golden)
        return report

    # -- helpers --------------------------------------------------------------------------

    def _new_run(self, jobs: Iterable[CopyJob]) -> Run:
        policy = self._deps.judge.policy()
        limit = policy.replication.max_concurrent_copies_per_region
        return Run(self._deps, self._deps.clock(), policy, SlotBook(limit, jobs))

    def _inventory(self, run: Run, report: ReplicationPassReport) -> list[ImageSnapshot]:
        """Every private image of every governed account and region (cached in ``run``)."""
        found: list[ImageSnapshot] = []
        for account in sorted(self._deps.governed_accounts):
            for region in sorted(self._deps.governed_regions):
                try:
                    images = list(self._deps.appstream.list_images(account, region))
                except AppStreamGatewayError as exc:
                    report.errors.append(f"{account}/{region}: {exc}")
                    continue  # that region's images are described one by one instead
                run.scanned.add((account, region))
                for image in images:
                    run.remember(image)
                found.extend(images)
        return found

    def _family_superseded(self, source: ImageSnapshot, run: Run) -> bool:
        if not any(rule.family for rule in run.policy.golden):
            return False
        siblings = list(self._deps.appstream.list_images(source.ref.account_id, source.ref.region))
        if not any(s.ref.arn == source.ref.arn for s in siblings):
            siblings.append(source)
        return source.ref.arn in superseded(siblings, run.policy)

    def _ensure_job(
        self, target: CopyTarget, run: Run, known: CopyJob | None = None
    ) -> CopyJob | None:
        """The job for ``target``: created queued when missing, revived when abandoned."""
        ledger = self._deps.ledger
        job = known or ledger.get_copy_job(*target.key)
        try:
            if job is None:
                fresh = CopyJob(
                    source_arn=target.source.arn,
                    destination_region=target.destination_region,
                    destination_name=target.destination_name,
                ).transition(
                    "queued",
                    at=run.now,
                    reason=f"golden under {', '.join(target.rule_ids)}: copy to "
                    f"{target.destination_region} as {target.destination_name}",
                )
                return ledger.put_copy_job(fresh, expected_version=None)
            if job.state == "abandoned":
                revived = job.model_copy(update={"attempts": 0, "next_attempt_at": None})
                revived = revived.transition(
                    "queued", at=run.now, reason="golden again (source present): copying"
                )
                return ledger.put_copy_job(revived, expected_version=job.version)
        except ConcurrentUpdate:
            return ledger.get_copy_job(*target.key)
        return job

    def _report_vanished_sources(
        self, jobs: Iterable[CopyJob], run: Run, report: ReplicationPassReport
    ) -> None:
        by_source: dict[str, list[CopyJob]] = {}
        for job in jobs:
            if job.state != "abandoned":
                by_source.setdefault(job.source_arn, []).append(job)
        for source_arn in sorted(by_source):
            if run.image(ImageRef.from_arn(source_arn)) is None:
                self._report_source_deleted(source_arn, by_source[source_arn])
                report.sources_deleted.append(source_arn)

    def _report_source_deleted(self, source_arn: str, jobs: Sequence[CopyJob]) -> None:
        live = [j for j in jobs if j.state != "abandoned"]
        if not live:
            return  # already reported
        now = self._deps.clock()
        self._deps.ledger.add_outbox([notifications.source_deleted(source_arn, jobs, now=now)])
        for job in live:
            abandoned = job.transition(
                "abandoned", at=now, reason="golden source deleted; the copy is kept"
            )
            try:
                self._deps.ledger.put_copy_job(abandoned, expected_version=job.version)
            except ConcurrentUpdate:
                log.info(
                    "copy job %s -> %s changed concurrently", source_arn, job.destination_region
                )
