"""In-memory AppStream and ledger for the replicator's unit tests (no network, no moto)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.appstream import AlreadyExists, FleetUsage, ImageNotFound, LimitExceeded
from govbot.ledger.errors import ConcurrentUpdate
from govbot.ledger.records.events import EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.state import CopyJob

ACCOUNT = "123456789012"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class _Copy:
    ready_at: datetime
    fail: str | None


@dataclass
class FakeAppStream:
    """Images by ARN; copies settle against ``clock`` like AppStream's (no events)."""

    clock: FakeClock
    copy_seconds: int = 600
    limit: int = 2
    images: dict[str, ImageSnapshot] = field(default_factory=dict)
    copies: dict[str, _Copy] = field(default_factory=dict)
    fail_next: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    max_in_flight: dict[str, int] = field(default_factory=dict)

    def seed(self, region: str, name: str, **kwargs: Any) -> ImageSnapshot:
        ref = ImageRef(account_id=ACCOUNT, region=region, name=name)
        image = ImageSnapshot(ref=ref, created_time=self.clock(), **kwargs)
        self.images[ref.arn] = image
        return image

    def _settle(self) -> None:
        for arn, copy in list(self.copies.items()):
            if copy.ready_at <= self.clock() and arn in self.images:
                image = self.images[arn]
                if copy.fail:
                    update = {"state": "FAILED", "state_change_reason": copy.fail}
                else:
                    update = {"state": "AVAILABLE"}
                self.images[arn] = image.model_copy(update=update)
                del self.copies[arn]

    def in_flight(self, region: str) -> int:
        self._settle()
        return sum(1 for arn in self.copies if self.images[arn].ref.region == region)

    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None:
        self._settle()
        self.calls.append("DescribeImages")
        return self.images.get(ref.arn)

    def list_images(
        self, account_id: str, region: str, *, visibility: Any = "PRIVATE", details: bool = True
    ) -> Iterable[ImageSnapshot]:
        self._settle()
        self.calls.append("ListImages")
        return [i for i in self.images.values() if i.ref.region == region]

    def copy_image(
        self, ref: ImageRef, destination_region: str, destination_name: str, description: str | None
    ) -> str:
        self._settle()
        self.calls.append("CopyImage")
        dest = ImageRef(account_id=ACCOUNT, region=destination_region, name=destination_name)
        if dest.arn in self.images:
            raise AlreadyExists("ResourceAlreadyExistsException", "CopyImage", "taken")
        if self.in_flight(destination_region) >= self.limit:
            raise LimitExceeded("LimitExceededException", "CopyImage", "2 copies in progress")
        self.images[dest.arn] = ImageSnapshot(
            ref=dest, state="PENDING", description=description, created_time=self.clock()
        )
        fail = self.fail_next.pop(0) if self.fail_next else None
        self.copies[dest.arn] = _Copy(self.clock() + timedelta(seconds=self.copy_seconds), fail)
        self.max_in_flight[destination_region] = max(
            self.max_in_flight.get(destination_region, 0), self.in_flight(destination_region)
        )
        return destination_name

    def tag_image(self, ref: ImageRef, tags: Mapping[str, str]) -> None:
        self.calls.append("TagResource")
        image = self._require(ref)
        self.images[ref.arn] = image.model_copy(update={"tags": {**image.tags, **tags}})

    def untag_image(self, ref: ImageRef, keys: list[str]) -> None:
        self.calls.append("UntagResource")
        image = self._require(ref)
        tags = {k: v for k, v in image.tags.items() if k not in keys}
        self.images[ref.arn] = image.model_copy(update={"tags": tags})

    def delete_permissions(self, ref: ImageRef, account_id: str) -> None:
        self.calls.append("DeleteImagePermissions")
        image = self._require(ref)
        shares = tuple(s for s in image.shared_with if s.account_id != account_id)
        self.images[ref.arn] = image.model_copy(update={"shared_with": shares})

    def update_permissions(self, ref: ImageRef, account_id: str, permissions: Permissions) -> None:
        self.calls.append("UpdateImagePermissions")
        image = self._require(ref)
        shares = [s for s in image.shared_with if s.account_id != account_id]
        shares.append(SharedAccountPermission(account_id=account_id, permissions=permissions))
        self.images[ref.arn] = image.model_copy(update={"shared_with": tuple(shares)})

    def delete_image(self, ref: ImageRef) -> None:
        self.calls.append("DeleteImage")
        self._require(ref)
        del self.images[ref.arn]
        self.copies.pop(ref.arn, None)

    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]:
        return []

    def _require(self, ref: ImageRef) -> ImageSnapshot:
        image = self.images.get(ref.arn)
        if image is None:
            raise ImageNotFound("ResourceNotFoundException", "op", f"{ref.name} not found")
        return image


@dataclass
class FakeLedger:
    """Copy jobs with the same optimistic lock as the real ledger; an outbox that dedups."""

    clock: FakeClock
    jobs: dict[tuple[str, str], CopyJob] = field(default_factory=dict)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    writes: int = 0

    def get_copy_job(self, source_arn: str, destination_region: str) -> CopyJob | None:
        return self.jobs.get((source_arn, destination_region))

    def put_copy_job(self, job: CopyJob, *, expected_version: int | None) -> CopyJob:
        key = (job.source_arn, job.destination_region)
        current = self.jobs.get(key)
        if (current is None) != (expected_version is None) or (
            current is not None and current.version != expected_version
        ):
            raise ConcurrentUpdate(f"{key} changed")
        stored = job.model_copy(update={"version": (expected_version or 0) + 1}).stamped(
            self.clock()
        )
        self.jobs[key] = stored
        self.writes += 1
        return stored

    def active_copy_jobs(self) -> list[CopyJob]:
        return [j for j in self.jobs.values() if j.is_active]

    def add_outbox(self, items: Sequence[OutboxItem]) -> int:
        new = [i for i in items if i.outbox_id not in self.outbox]
        for item in new:
            self.outbox[item.outbox_id] = item
        return len(new)

    def by_image(
        self, image_arn: str, *args: Any, kinds: Iterable[str] | None = None, **kwargs: Any
    ) -> list[CopyJob | EventRecord]:
        wanted = set(kinds or ("copyjob", "event"))
        found: list[CopyJob | EventRecord] = []
        if "copyjob" in wanted:
            found += [j for j in self.jobs.values() if j.source_arn == image_arn]
        if "event" in wanted:
            found += [e for e in self.events if e.image_arn == image_arn]
        return found

    def kinds(self) -> list[str]:
        return sorted(i.message_kind for i in self.outbox.values())
