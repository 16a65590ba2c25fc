"""One in-memory AppStream gateway for every unit test (no AWS, no moto).

It extends the CLI's :class:`~govbot_cli.memory.MemoryAppStream` (share lists change as
UpdateImagePermissions/DeleteImagePermissions change them; deleting an absent share is
ImageNotFound) with what tests observe and steer: a log of every call, errors on demand,
unreachable lanes, paged listings for the sweep, and copies that settle against a clock for
the replicator. The functions at the bottom make mypy prove it implements every AppStream
port (enforcer, replicator, sweep, CLI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.enforcer.ports import AppStreamPort as EnforcerAppStreamPort
from govbot.enforcer.sweep.context import InventoryPort
from govbot.gateways.appstream import (
    AlreadyExists,
    AppStreamGatewayError,
    BuilderUsage,
    FleetUsage,
    ImagePage,
    LimitExceeded,
    Visibility,
)
from govbot.replicator.ports import AppStreamPort as ReplicatorAppStreamPort
from govbot_cli.deps import ImageReader, UsageReader
from govbot_cli.memory import MemoryAppStream
from tests.fakes.clock import FakeClock

WRITES = ("UpdateImagePermissions", "DeleteImagePermissions")


@dataclass(frozen=True)
class Call:
    """One call a test's code made to the fake.

    ``operation`` is the AWS API the real gateway calls, ``method`` the gateway method
    (the sweep's ``with_details`` and the enforcer's ``describe_image`` are both
    DescribeImages). ``account_id`` is the account a permission call is about; ``owner`` and
    ``region`` the lane a listing read.
    """

    operation: str
    image_arn: str = ""
    account_id: str = ""
    permissions: Permissions | None = None
    method: str = ""
    owner: str = ""
    region: str = ""
    token: str | None = None
    visibility: str = ""


@dataclass
class _Copy:
    ready_at: datetime
    failure: str | None


def shares_of(mapping: Mapping[str, Permissions]) -> tuple[SharedAccountPermission, ...]:
    """A share list (sorted by account, as AppStream returns it) from account -> permissions."""
    return tuple(
        SharedAccountPermission(account_id=a, permissions=p) for a, p in sorted(mapping.items())
    )


class FakeAppStream(MemoryAppStream):
    """Images keyed by ARN, with the real gateway's contracts and a log of every call.

    Steering, all optional:
    - ``fail[operation]``: the next call of that AWS operation raises it (once); an
      exception that is not an ``AppStreamGatewayError`` stands for a crash (a timeout);
    - ``error``: every call raises it (a gateway that cannot be reached at all);
    - ``broken[(account, region)]``: listing that lane fails with that error code;
    - ``bad_tokens``: page tokens refused once, as an expired NextToken is;
    - ``failed_copies``: the next copies end FAILED with these reasons, in order;
    - ``acting_in``: the account the credentials act in; a listing then returns that
      account's images whatever account it asked for, as AppStream lists the caller's own.
    """

    def __init__(
        self,
        images: Iterable[ImageSnapshot] = (),
        *,
        clock: Callable[[], datetime] | None = None,
        error: Exception | None = None,
        page_size: int = 25,
        copy_seconds: int = 600,
        copy_limit: int = 2,
        acting_in: str | None = None,
    ) -> None:
        super().__init__(list(images))
        self.clock: Callable[[], datetime] = clock or FakeClock()
        self.error = error
        self.page_size = page_size
        self.copy_seconds = copy_seconds
        self.copy_limit = copy_limit
        self.acting_in = acting_in
        self.fleets: list[FleetUsage] = []
        self.builders: list[BuilderUsage] = []
        self.calls: list[Call] = []
        self.fail: dict[str, Exception] = {}
        self.broken: dict[tuple[str, str], str] = {}
        self.bad_tokens: set[str] = set()
        self.failed_copies: list[str] = []
        self.copies: dict[str, _Copy] = {}
        self.max_in_flight: dict[str, int] = {}
        self.endpoints: list[str | None] = []

    # -- setting the scene -----------------------------------------------------------------
    def seed(
        self,
        ref: ImageRef,
        shares: Mapping[str, Permissions] | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> ImageSnapshot:
        """Put an image in place with its share list (account -> permissions) and tags."""
        fields.setdefault("shared_with", shares_of(shares or {}))
        image = ImageSnapshot(ref=ref, tags=dict(tags or {}), **fields)
        self.images[ref.arn] = image
        return image

    def factory(self, endpoint_url: str | None) -> FakeAppStream:
        """The CLI's ``appstream`` dependency: remembers the endpoint it was built for."""
        self.endpoints.append(endpoint_url)
        return self

    # -- observations ----------------------------------------------------------------------
    def shares(self, ref: ImageRef) -> dict[str, Permissions]:
        """The current share list of ``ref`` as account -> permissions."""
        return {s.account_id: s.permissions for s in self.images[ref.arn].shared_with}

    @property
    def describes(self) -> int:
        """How many single-image DescribeImages calls were made."""
        return sum(1 for c in self.calls if c.method == "describe_image")

    def calls_to(self, method: str) -> list[Call]:
        """The calls made through one gateway method, in order."""
        return [c for c in self.calls if c.method == method]

    def operations(self) -> list[str]:
        """The AWS operations called, in order."""
        return [c.operation for c in self.calls]

    def write_calls(self) -> list[Call]:
        """The calls that change a share list, in order."""
        return [c for c in self.calls if c.operation in WRITES]

    def writes(self) -> list[tuple[str, str, str]]:
        """Share-list changes as (operation, image name, account), in order."""
        return [
            (c.operation, ImageRef.from_arn(c.image_arn).name, c.account_id)
            for c in self.write_calls()
        ]

    def in_flight(self, region: str) -> int:
        """Copies still PENDING in ``region``."""
        self._settle()
        return sum(1 for arn in self.copies if self.images[arn].ref.region == region)

    # -- reads -----------------------------------------------------------------------------
    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None:
        self._record(Call("DescribeImages", ref.arn, method="describe_image"))
        self._settle()
        return super().describe_image(ref, listed=listed, tags=tags)

    def list_images(
        self,
        account_id: str,
        region: str,
        *,
        visibility: Visibility = "PRIVATE",
        details: bool = True,
    ) -> Iterator[ImageSnapshot]:
        """The lane's own images (PRIVATE), or the images others share with it (SHARED)."""
        call = Call("DescribeImages", method="list_images", owner=account_id, region=region)
        self._record(replace(call, visibility=visibility))
        self._check_lane(account_id, region)
        self._settle()
        if visibility == "SHARED":
            return iter(
                [
                    i
                    for i in self.images.values()
                    if i.visibility == "SHARED"
                    and i.ref.region == region
                    and i.ref.account_id != account_id
                ]
            )
        own = super().list_images(self.acting_in or account_id, region)
        return iter([i for i in own if i.visibility != "SHARED"])

    def image_page(
        self,
        account_id: str,
        region: str,
        token: str | None = None,
        *,
        visibility: Visibility = "PRIVATE",
    ) -> ImagePage:
        """Pages of ``page_size`` bare images sorted by name; the token is the next offset."""
        self._record(
            Call(
                "DescribeImages", method="image_page", owner=account_id, region=region, token=token
            )
        )
        self._check_lane(account_id, region)
        if token is not None and token in self.bad_tokens:
            self.bad_tokens.discard(token)  # expired: the same token issued later is fresh
            raise AppStreamGatewayError("InvalidParameterCombinationException", "x", "token")
        names = sorted(i.ref.name for i in super().list_images(account_id, region))
        start = int(token) if token else 0
        end = start + self.page_size
        bare = tuple(
            ImageSnapshot(ref=ImageRef(account_id=account_id, region=region, name=n))
            for n in names[start:end]
        )
        return ImagePage(bare, str(end) if end < len(names) else None)

    def with_details(self, image: ImageSnapshot) -> ImageSnapshot | None:
        self._record(Call("DescribeImages", image.ref.arn, method="with_details"))
        return self.images.get(image.ref.arn)

    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]:
        arn = ref_or_arn.arn if isinstance(ref_or_arn, ImageRef) else ref_or_arn
        return [f for f in self.fleets if f.image_arn == arn and f.account_id == account_id]

    def builders_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[BuilderUsage]:
        arn = ref_or_arn.arn if isinstance(ref_or_arn, ImageRef) else ref_or_arn
        return [b for b in self.builders if b.image_arn == arn and b.account_id == account_id]

    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]:
        self._record(Call("DescribeFleets", method="list_fleets", owner=account_id, region=region))
        return [f for f in self.fleets if (f.account_id, f.region) == (account_id, region)]

    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]:
        self._record(
            Call(
                "DescribeImageBuilders",
                method="list_image_builders",
                owner=account_id,
                region=region,
            )
        )
        return [b for b in self.builders if (b.account_id, b.region) == (account_id, region)]

    # -- writes ----------------------------------------------------------------------------
    def update_permissions(self, ref: ImageRef, account_id: str, permissions: Permissions) -> None:
        self._record(Call("UpdateImagePermissions", ref.arn, account_id, permissions))
        super().update_permissions(ref, account_id, permissions)

    def delete_permissions(self, ref: ImageRef, account_id: str) -> None:
        self._record(Call("DeleteImagePermissions", ref.arn, account_id))
        super().delete_permissions(ref, account_id)

    def copy_image(
        self, ref: ImageRef, destination_region: str, destination_name: str, description: str | None
    ) -> str:
        """A PENDING copy that turns AVAILABLE (or FAILED) ``copy_seconds`` later."""
        self._record(Call("CopyImage", ref.arn, region=destination_region))
        self._settle()
        dest = ImageRef(account_id=ref.account_id, region=destination_region, name=destination_name)
        if dest.arn in self.images:
            raise AlreadyExists("ResourceAlreadyExistsException", "CopyImage", "taken")
        if self.in_flight(destination_region) >= self.copy_limit:
            raise LimitExceeded(
                "LimitExceededException", "CopyImage", f"{self.copy_limit} copies in progress"
            )
        self.images[dest.arn] = ImageSnapshot(
            ref=dest, state="PENDING", description=description, created_time=self.clock()
        )
        failure = self.failed_copies.pop(0) if self.failed_copies else None
        ready_at = self.clock() + timedelta(seconds=self.copy_seconds)
        self.copies[dest.arn] = _Copy(ready_at, failure)
        self.max_in_flight[destination_region] = max(
            self.max_in_flight.get(destination_region, 0), self.in_flight(destination_region)
        )
        return destination_name

    def tag_image(self, ref: ImageRef, tags: Mapping[str, str]) -> None:
        self._record(Call("TagResource", ref.arn))
        image = self._image(ref, "TagResource")
        self.images[ref.arn] = image.model_copy(update={"tags": {**image.tags, **tags}})

    def untag_image(self, ref: ImageRef, keys: list[str]) -> None:
        self._record(Call("UntagResource", ref.arn))
        image = self._image(ref, "UntagResource")
        tags = {k: v for k, v in image.tags.items() if k not in keys}
        self.images[ref.arn] = image.model_copy(update={"tags": tags})

    def delete_image(self, ref: ImageRef) -> None:
        self._record(Call("DeleteImage", ref.arn))
        self._image(ref, "DeleteImage")
        del self.images[ref.arn]
        self.copies.pop(ref.arn, None)

    # -- helpers ---------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        """Log the call, then raise whatever the test asked this call to raise."""
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        error = self.fail.pop(call.operation, None)
        if error is not None:
            raise error

    def _check_lane(self, account_id: str, region: str) -> None:
        code = self.broken.get((account_id, region))
        if code is not None:
            raise AppStreamGatewayError(code, "AssumeRole", f"not allowed into {account_id}")

    def _settle(self) -> None:
        """Copies whose time has come end AVAILABLE, or FAILED with their reason."""
        now = self.clock()
        for arn, copy in list(self.copies.items()):
            if copy.ready_at <= now and arn in self.images:
                update: dict[str, Any] = (
                    {"state": "FAILED", "state_change_reason": copy.failure}
                    if copy.failure
                    else {"state": "AVAILABLE"}
                )
                self.images[arn] = self.images[arn].model_copy(update=update)
                del self.copies[arn]


# mypy proves the fake implements every AppStream port (these are never called).
def _enforcer(fake: FakeAppStream) -> EnforcerAppStreamPort:
    return fake


def _replicator(fake: FakeAppStream) -> ReplicatorAppStreamPort:
    return fake


def _sweep(fake: FakeAppStream) -> InventoryPort:
    return fake


def _cli(fake: FakeAppStream) -> ImageReader:
    return fake


def _cli_inbound(fake: FakeAppStream) -> UsageReader:
    return fake
