"""The copy job state machine: move one job as far as current AppStream state allows.

queued -> copying -> tagging -> sharing -> done; a FAILED copy -> failed (retried at
``next_attempt_at`` with exponential backoff, then reported); a vanished copy -> queued.
A name held by an image govbot did not make keeps the job queued and is reported; a done
copy's tags and shares are re-checked and restored when they drift.
Every transition is written to the ledger under the job's optimistic lock *before* the
side effect it announces, and every step first re-reads what it is about to change, so a
run interrupted anywhere and run again neither loses nor duplicates anything.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from govbot.domain import ImageRef, ImageSnapshot
from govbot.gateways.appstream import (
    AlreadyExists,
    AppStreamGatewayError,
    ImageNotFound,
    LimitExceeded,
    TransientError,
)
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.records.state import CopyJob, CopyJobState
from govbot.replicator import notifications
from govbot.replicator.conflicts import find_maker
from govbot.replicator.plan import (
    backoff,
    copy_description,
    golden_targets,
    is_copy_of,
    is_due,
    plan_shares,
    replica_tags,
)
from govbot.replicator.run import Run
from govbot.replicator.upkeep import share_drift, tag_drift

log = logging.getLogger(__name__)
MAX_STEPS_PER_RUN = 8  # queued->copying->tagging->sharing->done and a few detours


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
            return self._check_done(job, source)
        if job.state in ("queued", "failed"):
            return self._start(job, source)
        if job.state == "copying":
            return self._watch(job)
        if job.state == "tagging":
            return self._tag(job, source)
        return self._share(job, source)

    def _check_done(self, job: CopyJob, source: ImageSnapshot) -> CopyJob | None:
        dest = self.run.image(destination_ref(job))
        if dest is not None:
            return self._upkeep(job, source, dest)
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
            return self._name_taken(job, dest)
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
        except TransientError as exc:
            # Throttling or a 5xx outlasting the client's retries: not the copy's fault.
            run.slots.release(job)
            return self._retry_later(job, f"CopyImage failed: {exc}", attempts=job.attempts - 1)
        except AppStreamGatewayError as exc:
            # Refused (AccessDenied, IncompatibleImage, ...): an attempt like a FAILED copy,
            # counted, backed off and, once the attempts are spent, announced once.
            run.slots.release(job)
            return self._attempt_failed(job, f"CopyImage refused: {exc}", started=False)
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
        return self._attempt_failed(job, reason, started=True)

    def _attempt_failed(self, job: CopyJob, reason: str, *, started: bool) -> CopyJob:
        """Attempt ``job.attempts`` failed: retry after a backoff, or give up and announce
        it once (``started``: a failed image holds the name, left for diagnosis)."""
        run = self.run
        if job.attempts >= run.policy.replication.max_attempts:
            final = job.model_copy(update={"next_attempt_at": None}).transition(
                "failed", at=run.now, reason=f"{reason}; gave up after {job.attempts} attempt(s)"
            )
            # Outbox first: a crash before the job write re-emits the same (deduplicated) id.
            self.deps.ledger.add_outbox(
                [notifications.copy_failed(final, error=reason, now=run.now, started=started)]
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

    def _name_taken(self, job: CopyJob, holder: ImageSnapshot) -> CopyJob | None:
        """An image govbot did not make holds the name: report who made it, copy nothing.

        The golden name is never silently moved to a variant (``-2``): people look for the
        golden image under its name. Once the name is free the next sweep copies.
        """
        ledger = self.deps.ledger
        maker = find_maker(
            holder.ref,
            ledger.by_image(holder.ref.arn, kinds={"event"}),
            ledger.by_image(job.source_arn, kinds={"event"}),
        )
        reason = (
            f"name {job.destination_name} in {job.destination_region} is held by an image "
            f"govbot did not make (made by {maker.describe()}); reported, not copied until a "
            "person frees the name"
        )
        if job.last_reason != reason:
            # Outbox first: a crash before the job write re-emits the same (deduplicated) id.
            ledger.add_outbox(
                [
                    notifications.name_taken(
                        job, holder.ref, maker, taken_since=holder.created_time, now=self.run.now
                    )
                ]
            )
        return self._wait(job, reason)

    def _upkeep(self, job: CopyJob, source: ImageSnapshot, dest: ImageSnapshot) -> CopyJob | None:
        """Restore a completed copy's tags and shares when they drifted from the source."""
        run, deps = self.run, self.deps
        if source.state != "AVAILABLE" or dest.state != "AVAILABLE":
            return None  # mid-update: look again next sweep
        plan = plan_shares(source, run.engine_inputs())
        tagged = [step.at for step in job.history if step.state == "tagging"]
        tags = tag_drift(source, dest, tagged[-1] if tagged else dest.created_time or run.now)
        shares = share_drift(plan.kept, dest.shared_with)
        drift = tags.describe() + shares.describe()
        if not drift:
            return None
        dest_ref = dest.ref
        try:
            if tags.remove:
                deps.appstream.untag_image(dest_ref, list(tags.remove))
            if tags.put:
                deps.appstream.tag_image(dest_ref, tags.put)
            for share in shares.put:
                deps.appstream.update_permissions(dest_ref, share.account_id, share.permissions)
            for account in shares.remove:
                deps.appstream.delete_permissions(dest_ref, account)
        except ImageNotFound:
            run.forget(dest_ref)
            return None  # gone meanwhile: the next sweep copies again
        except AppStreamGatewayError as exc:
            run.forget(dest_ref)
            return self._wait(job, f"restoring the copy's tags/shares failed, will retry: {exc}")
        run.forget(dest_ref)
        deps.ledger.add_outbox([notifications.copy_restored(job, drift, now=run.now)])
        self._put(job, "done", "drifted from the source; restored: " + "; ".join(drift))
        return None  # nothing more to do in this run

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
