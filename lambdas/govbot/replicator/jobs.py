"""The copy job state machine: move one job as far as current AppStream state allows.

queued -> copying -> tagging -> sharing -> done; a FAILED copy -> failed (retried at
``next_attempt_at`` with exponential backoff, then reported); a vanished copy -> queued.
Every transition is written to the ledger under the job's optimistic lock *before* the
side effect it announces, and every step first re-reads what it is about to change, so a
run interrupted anywhere and run again neither loses nor duplicates anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from govbot.domain import ImageRef, ImageSnapshot
from govbot.gateways.appstream import (
    AlreadyExists,
    AppStreamGatewayError,
    ImageNotFound,
    LimitExceeded,
)
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.records.state import CopyJob, CopyJobState
from govbot.policy.judge import EngineInputs
from govbot.policy.models import Policy
from govbot.replicator import notifications
from govbot.replicator.plan import (
    SlotBook,
    backoff,
    candidate_names,
    copy_description,
    golden_targets,
    is_copy_of,
    is_due,
    plan_shares,
    replica_tags,
)
from govbot.replicator.ports import ReplicatorDeps

log = logging.getLogger(__name__)
MAX_STEPS_PER_RUN = 8  # queued->copying->tagging->sharing->done and a few detours


@dataclass
class Run:
    """One replicator invocation: time, policy, copy slots and a read-through image cache.

    The cache may be pre-filled from a region listing (``scanned``): an image absent from a
    scanned region is known not to exist without another call. Anything govbot changes is
    ``forget``-ed so the next read sees AppStream's answer.
    """

    deps: ReplicatorDeps
    now: datetime
    policy: Policy
    slots: SlotBook
    scanned: set[tuple[str, str]] = field(default_factory=set)
    _images: dict[str, ImageSnapshot | None] = field(default_factory=dict)
    _stale: set[str] = field(default_factory=set)
    _inputs: EngineInputs | None = None

    def engine_inputs(self) -> EngineInputs:
        """The judge's inputs for this run (members and exemptions read on first need)."""
        if self._inputs is None:
            self._inputs = self.deps.judge.inputs(self.now, policy=self.policy)
        return self._inputs

    def remember(self, image: ImageSnapshot) -> None:
        self._images[image.ref.arn] = image

    def image(self, ref: ImageRef) -> ImageSnapshot | None:
        """The image's current snapshot (cached for this run)."""
        arn = ref.arn
        if arn in self._images:
            return self._images[arn]
        if arn not in self._stale and (ref.account_id, ref.region) in self.scanned:
            return None
        found = self.deps.appstream.describe_image(ref)
        self._images[arn] = found
        self._stale.discard(arn)
        return found

    def inventory(self) -> list[ImageSnapshot]:
        """Every image this run has seen and not changed since."""
        return [image for image in self._images.values() if image is not None]

    def forget(self, ref: ImageRef) -> None:
        self._images.pop(ref.arn, None)
        self._stale.add(ref.arn)


Outcome = Literal["moved", "waiting", "conflict"]


def destination_ref(job: CopyJob, name: str | None = None) -> ImageRef:
    """The copy's identity: the source's account, the job's region and name."""
    return ImageRef(
        account_id=ImageRef.from_arn(job.source_arn).account_id,
        region=job.destination_region,
        name=name or job.destination_name,
    )


class JobRunner:
    """Advances copy jobs; one instance per run."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.deps = run.deps

    # -- entry point ---------------------------------------------------------------------

    def advance(self, job: CopyJob) -> CopyJob:
        """Move ``job`` until it has to wait; returns the latest stored version."""
        for _ in range(MAX_STEPS_PER_RUN):
            try:
                moved = self._step(job)
            except ConcurrentUpdate as exc:
                # Another run holds this job; it will finish what we wanted to do.
                log.info("copy job changed concurrently, leaving it: %s", exc)
                return job
            if moved is None:
                return job
            job = moved
        return job

    # -- the state machine ----------------------------------------------------------------

    def _step(self, job: CopyJob) -> CopyJob | None:
        source = self.run.image(ImageRef.from_arn(job.source_arn))
        if job.state == "abandoned":
            return None
        if source is None:
            return None  # the caller reports deleted sources (all their jobs at once)
        if job.state == "done":
            return self._check_done(job)
        if job.state in ("queued", "failed"):
            return self._start(job, source)
        if job.state == "copying":
            return self._watch(job)
        if job.state == "tagging":
            return self._tag(job, source)
        return self._share(job, source)

    def _check_done(self, job: CopyJob) -> CopyJob | None:
        if self.run.image(destination_ref(job)) is not None:
            return None
        return self._put(
            job,
            "queued",
            f"copy {job.destination_name} in {job.destination_region} is gone; copying again",
            attempts=0,
            next_attempt_at=None,
        )

    def _start(self, job: CopyJob, source: ImageSnapshot) -> CopyJob | None:
        run = self.run
        if not is_due(job, run.now):
            return None
        targets = {t.destination_region for t in golden_targets(source, run.policy)}
        if job.destination_region not in targets:
            return self._put(
                job, "abandoned", "the source is no longer golden for this region; not copied"
            )
        if source.state != "AVAILABLE":
            return self._wait(
                job, f"source is {source.state}; the copy starts when it is AVAILABLE"
            )
        dest_ref = destination_ref(job)
        dest = run.image(dest_ref)
        if dest is not None and not is_copy_of(dest, job.source_arn):
            return self._rename(job)
        if dest is not None and dest.state != "FAILED":
            # Our copy already exists: an interrupted run started it before recording it.
            return self._put(job, "copying", "found the copy already started; watching it")
        if not run.slots.take(job):
            if run.slots.is_closed(job):
                return self._wait(
                    job,
                    f"AppStream's copy limit is reached in {job.destination_region} "
                    "(copies govbot did not start count too); waiting for a slot",
                )
            in_flight = run.slots.in_flight(dest_ref.account_id, job.destination_region)
            return self._wait(
                job,
                f"waiting for a copy slot in {job.destination_region} "
                f"({in_flight} of {run.slots.limit} in flight)",
            )
        if dest is not None:
            # A FAILED copy holds the name: remove it before retrying under the same name.
            try:
                self.deps.appstream.delete_image(dest_ref)
            except ImageNotFound:
                pass
            except AppStreamGatewayError as exc:
                run.slots.release(job)
                return self._retry_later(job, f"could not delete the failed copy: {exc}")
            run.forget(dest_ref)
        attempt = job.attempts + 1
        started = self._put(
            job,
            "copying",
            f"CopyImage attempt {attempt} to {job.destination_region} as {job.destination_name}",
            attempts=attempt,
            next_attempt_at=None,
        )
        return self._copy(started, source, dest_ref)

    def _copy(self, job: CopyJob, source: ImageSnapshot, dest_ref: ImageRef) -> CopyJob | None:
        run = self.run
        try:
            self.deps.appstream.copy_image(
                source.ref, job.destination_region, job.destination_name,
                copy_description(job.source_arn),
            )  # fmt: skip
        except LimitExceeded as exc:
            # Someone else's copies fill AppStream's quota: not a failure, wait our turn.
            run.slots.release(job)
            run.slots.close(job)
            return self._put(
                job, "queued", f"AppStream copy limit reached, requeued: {exc.message}",
                attempts=job.attempts - 1,
            )  # fmt: skip
        except AlreadyExists:
            run.slots.release(job)
            run.forget(dest_ref)
            return self._put(
                job, "queued", "destination name taken meanwhile; resolving",
                attempts=job.attempts - 1,
            )  # fmt: skip
        except AppStreamGatewayError as exc:
            run.slots.release(job)
            return self._retry_later(job, f"CopyImage failed: {exc}", attempts=job.attempts - 1)
        run.forget(dest_ref)
        return job  # in flight: watched from now on

    def _watch(self, job: CopyJob) -> CopyJob | None:
        run = self.run
        dest = run.image(destination_ref(job))
        if dest is None:
            run.slots.release(job)
            return self._put(
                job,
                "queued",
                f"copy {job.destination_name} not found in {job.destination_region} "
                "(deleted, or never started); copying again",
            )
        if dest.state == "AVAILABLE":
            run.slots.release(job)
            return self._put(job, "tagging", "copy is AVAILABLE; restoring tags")
        if dest.state != "FAILED":
            return None  # still in flight
        run.slots.release(job)
        reason = f"copy FAILED ({dest.state_change_reason or 'no reason given'})"
        if job.attempts >= run.policy.replication.max_attempts:
            final = job.model_copy(update={"next_attempt_at": None}).transition(
                "failed", at=run.now, reason=f"{reason}; gave up after {job.attempts} attempt(s)"
            )
            # Outbox first: a crash before the job write re-emits the same (deduplicated) id.
            self.deps.ledger.add_outbox(
                [notifications.copy_failed(final, error=reason, now=run.now)]
            )
            return self.deps.ledger.put_copy_job(final, expected_version=job.version)
        delay = backoff(job.attempts, run.policy.replication)
        return self._put(
            job,
            "failed",
            f"{reason}; retry {job.attempts + 1} of {run.policy.replication.max_attempts} "
            f"after {int(delay.total_seconds())}s",
            next_attempt_at=run.now + delay,
        )

    def _tag(self, job: CopyJob, source: ImageSnapshot) -> CopyJob | None:
        tags, left_out = replica_tags(source, self.run.now)
        dest_ref = destination_ref(job)
        try:
            self.deps.appstream.tag_image(dest_ref, tags)
        except ImageNotFound:
            return self._put(job, "queued", "copy vanished before tagging; copying again")
        except AppStreamGatewayError as exc:
            return self._wait(job, f"tagging failed, will retry: {exc}")
        self.run.forget(dest_ref)
        note = f"tagged with {len(tags)} tag(s) (source tags + provenance)"
        if left_out:
            note += f"; left out (tag limit): {', '.join(left_out)}"
        return self._put(job, "sharing", note)

    def _share(self, job: CopyJob, source: ImageSnapshot) -> CopyJob | None:
        run, deps = self.run, self.deps
        plan = plan_shares(source, run.engine_inputs())
        dest_ref = destination_ref(job)
        dest = run.image(dest_ref)
        if dest is None:
            return self._put(job, "queued", "copy vanished before sharing; copying again")
        try:
            for share in plan.kept:
                if dest.permissions_of(share.account_id) != share.permissions:
                    deps.appstream.update_permissions(dest_ref, share.account_id, share.permissions)
        except AppStreamGatewayError as exc:
            run.forget(dest_ref)
            return self._wait(job, f"sharing failed, will retry: {exc}")
        run.forget(dest_ref)
        note = f"shared with {len(plan.kept)} account(s) as on the source"
        if plan.dropped:
            withheld = "; ".join(f"{d.account_id} {d.permission}: {d.reason}" for d in plan.dropped)
            note += f"; not propagated (policy): {withheld}"
        done = job.model_copy(update={"next_attempt_at": None}).transition(
            "done", at=run.now, reason=note
        )
        rule_ids = next(
            (t.rule_ids for t in golden_targets(source, run.policy)
             if t.destination_region == job.destination_region),
            (),
        )  # fmt: skip
        _, left_out = replica_tags(source, run.now)
        deps.ledger.add_outbox(
            [
                notifications.copy_completed(
                    done,
                    copy_created=dest.created_time,
                    shares=plan.kept,
                    dropped=plan.dropped,
                    tags_left_out=left_out,
                    rule_ids=rule_ids,
                    now=run.now,
                )
            ]
        )
        return deps.ledger.put_copy_job(done, expected_version=job.version)

    # -- helpers --------------------------------------------------------------------------

    def _rename(self, job: CopyJob) -> CopyJob | None:
        """The name belongs to an unrelated image: pick the first free (or ours) variant."""
        taken = job.destination_name
        for name in candidate_names(taken):
            image = self.run.image(destination_ref(job, name))
            if image is None or is_copy_of(image, job.source_arn):
                renamed = job.model_copy(update={"destination_name": name})
                return self._put(
                    renamed,
                    "queued",
                    f"name {taken} in {job.destination_region} belongs to an unrelated image "
                    f"(left untouched); using {name}",
                    expected_version=job.version,
                )
        return self._wait(
            job, f"every variant of {taken} is taken in {job.destination_region}; a person must "
            "free a name",
        )  # fmt: skip

    def _retry_later(self, job: CopyJob, reason: str, *, attempts: int | None = None) -> CopyJob:
        delay = backoff(max(job.attempts, 1), self.run.policy.replication)
        return self._put(
            job,
            "queued",
            f"{reason}; retrying after {int(delay.total_seconds())}s",
            attempts=job.attempts if attempts is None else attempts,
            next_attempt_at=self.run.now + delay,
        )

    def _wait(self, job: CopyJob, reason: str) -> CopyJob | None:
        """Record why the job waits, once (a sweep repeating itself writes nothing).

        Returns None: a waiting job moves no further in this run.
        """
        if job.last_reason != reason:
            self._put(job, job.state, reason)
        return None

    def _put(
        self,
        job: CopyJob,
        state: CopyJobState,
        reason: str,
        *,
        attempts: int | None = None,
        next_attempt_at: datetime | Literal["keep"] | None = "keep",
        expected_version: int | None = None,
    ) -> CopyJob:
        update: dict[str, object] = {}
        if attempts is not None:
            update["attempts"] = max(attempts, 0)
        if next_attempt_at != "keep":
            update["next_attempt_at"] = next_attempt_at
        changed = job.model_copy(update=update).transition(state, at=self.run.now, reason=reason)
        version = job.version if expected_version is None else expected_version
        return self.deps.ledger.put_copy_job(changed, expected_version=version)
