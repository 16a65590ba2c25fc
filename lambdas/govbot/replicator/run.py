"""One replicator invocation's context: time, policy, copy slots and an image cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from govbot.domain import ImageRef, ImageSnapshot
from govbot.policy.judge import EngineInputs
from govbot.policy.models import Policy
from govbot.replicator.plan import SlotBook
from govbot.replicator.ports import ReplicatorDeps


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
