"""AppStream gateway: the only code in govbot that calls the AppStream API.

Works the same against real AWS, moto-style mocks and the sandbox emulator because it
only ever goes through a boto3 session (injectable; clients: :mod:`appstream_clients`).
botocore errors never leave this module: they become the small typed hierarchy of
:mod:`appstream_wire` (re-exported here), so callers branch on ``ImageNotFound`` instead of
error-code strings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.appstream_clients import (
    ASSUMED_SESSION_NAME,
    CREDENTIAL_REFRESH_MARGIN_SECONDS,
    USER_AGENT_MARKER,
    ClientPool,
    RetryMode,
    SessionLike,
)
from govbot.gateways.appstream_wire import (
    AlreadyExists,
    AppStreamGatewayError,
    BuilderUsage,
    FleetUsage,
    ImageNotFound,
    ImagePage,
    LimitExceeded,
    NotAvailable,
    ResourceInUse,
    Throttled,
    TransientError,
    paginate,
    permissions_from_wire,
    permissions_to_wire,
    snake,
    snapshot_from_wire,
    translate_error,
)
from govbot.gateways.retries import RetrySettings
from govbot.iam import declare

__all__ = [
    "ASSUMED_SESSION_NAME",
    "CREDENTIAL_REFRESH_MARGIN_SECONDS",
    "USER_AGENT_MARKER",
    "AlreadyExists",
    "AppStreamGateway",
    "AppStreamGatewayError",
    "BuilderUsage",
    "FleetUsage",
    "ImageNotFound",
    "ImagePage",
    "LimitExceeded",
    "NotAvailable",
    "ResourceInUse",
    "SessionLike",
    "Throttled",
    "TransientError",
    "Visibility",
    "paginate",
    "permissions_from_wire",
    "permissions_to_wire",
    "snapshot_from_wire",
    "translate_error",
]

# IAM each AppStream call of this gateway needs (govbot.iam; infra grants from it).
declare(
    "appstream",
    {
        "DescribeImages": "image",
        "DescribeImagePermissions": "image",
        "UpdateImagePermissions": "image",
        "DeleteImagePermissions": "image",
        "CopyImage": "image",
        "DeleteImage": "image",
        "TagResource": "image",
        "UntagResource": "image",
        "DescribeFleets": "fleet",
        "DescribeImageBuilders": "image-builder",
        "ListTagsForResource": "*",  # no resource type in the Service Authorization Reference
    },
)
declare("sts", {"AssumeRole": "remediation-role"})  # ClientPool.session_for: the spoke's role

DESCRIBE_IMAGES_PAGE = 25  # the API maximum
DESCRIBE_PERMISSIONS_PAGE = 500  # the API maximum
Visibility = Literal["PRIVATE", "SHARED", "PUBLIC"]


class AppStreamGateway:
    """Typed AppStream operations over lazily created, cached per-(account, region) clients.

    Parameters
    ----------
    session:
        Base boto3 session (default: a new ``boto3.session.Session()``).
    role_arn_for:
        ``account_id -> role ARN | None``; None means "use the base session's credentials".
    session_factory:
        Builds a session from STS credentials (default: clients of the base session with
        those credentials; injectable for tests).
    clock:
        Epoch seconds, for assumed-credential expiry.

    Examples
    --------
    >>> gw = AppStreamGateway(role_arn_for=lambda acct: None)  # doctest: +SKIP
    >>> gw.describe_image(ImageRef(account_id="111122223333", region="us-east-1", name="Gold"))
    """

    def __init__(
        self,
        session: SessionLike | None = None,
        *,
        role_arn_for: Callable[[str], str | None] | None = None,
        session_factory: Callable[[Mapping[str, Any]], SessionLike] | None = None,
        retry_mode: RetryMode = "govbot",
        max_attempts: int | None = None,
        retry: RetrySettings | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._pool = ClientPool(
            session,
            role_arn_for=role_arn_for,
            session_factory=session_factory,
            retry_mode=retry_mode,
            max_attempts=max_attempts,
            retry=retry,
            endpoint_url=endpoint_url,
            clock=clock,
        )

    # -- clients --

    def client(self, account_id: str, region: str) -> Any:
        """The AppStream client for ``account_id`` in ``region`` (created once, then reused).

        Safe to call from several threads (the drift sweep's lanes).
        """
        return self._pool.client(account_id, region)

    def service_client(self, service: str, account_id: str, region: str) -> Any:
        """A ``service`` client (EC2: exported AMIs) with the credentials this gateway uses
        in ``account_id`` (the remediation role in a spoke), made once per account+region."""
        return self._pool.service_client(service, account_id, region)

    def call(self, account_id: str, region: str, operation: str, **kwargs: Any) -> Any:
        """One AppStream call by operation name, errors translated (for the exits gateway)."""
        return self._call(account_id, region, operation, **kwargs)

    def _call(self, account_id: str, region: str, operation: str, **kwargs: Any) -> Any:
        method = getattr(self.client(account_id, region), snake(operation))
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(exc, operation) from exc

    def _pages(
        self, account_id: str, region: str, operation: str, result_key: str, **kwargs: Any
    ) -> Iterator[Any]:
        return paginate(partial(self._call, account_id, region, operation), result_key, **kwargs)

    # -- reads --

    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None:
        """The image's current state, share list and tags; None when it does not exist.

        ``listed=False``: ``ref`` is an image of its own account (a CloudTrail event of
        that account named it), so DescribeImages is skipped: the share list is read by
        name (ResourceNotFound: None) and the state fields keep their defaults.
        ``tags=False``: ListTagsForResource is skipped (no rule of the policy selects by
        tag); the snapshot's tags are then empty.
        """
        if not listed:
            try:
                return self._details(ImageSnapshot(ref=ref), ref.arn, tags=tags)
            except ImageNotFound:
                return None
        try:
            images = self._call(ref.account_id, ref.region, "DescribeImages", Names=[ref.name])
        except ImageNotFound:
            return None
        image = next((i for i in images.get("Images") or [] if i.get("Name") == ref.name), None)
        if image is None:
            return None
        try:
            return self._with_details(image, ref, tags=tags)
        except ImageNotFound:
            return None  # deleted between the two calls

    def list_images(
        self,
        account_id: str,
        region: str,
        *,
        visibility: Visibility = "PRIVATE",
        details: bool = True,
    ) -> Iterator[ImageSnapshot]:
        """Every image of ``visibility`` in the account and region (pages of 25).

        With ``details`` each snapshot also carries its share list and tags (2 extra calls
        per image); without, ``shared_with`` and ``tags`` are empty.
        """
        page_args = {"Type": visibility, "MaxResults": DESCRIBE_IMAGES_PAGE}
        for image in self._pages(account_id, region, "DescribeImages", "Images", **page_args):
            fallback = ImageRef(account_id=account_id, region=region, name=image["Name"])
            if not details:
                yield snapshot_from_wire(image, fallback)
                continue
            try:
                yield self._with_details(image, fallback)
            except ImageNotFound:
                continue  # deleted while we were listing

    def image_page(
        self,
        account_id: str,
        region: str,
        token: str | None = None,
        *,
        visibility: Visibility = "PRIVATE",
    ) -> ImagePage:
        """One DescribeImages page (25 images, no share lists or tags) and the next token.

        ``token`` is a ``next_token`` from an earlier page (the drift sweep keeps it in
        its checkpoint to resume a region where it stopped).
        """
        page = self._call(
            account_id,
            region,
            "DescribeImages",
            Type=visibility,
            MaxResults=DESCRIBE_IMAGES_PAGE,
            **({"NextToken": token} if token else {}),
        )
        images = tuple(
            snapshot_from_wire(
                image, ImageRef(account_id=account_id, region=region, name=image["Name"])
            )
            for image in page.get("Images") or []
        )
        return ImagePage(images=images, next_token=page.get("NextToken") or None)

    def with_details(self, image: ImageSnapshot) -> ImageSnapshot | None:
        """``image`` (from a private listing) with its share list and tags; None once gone."""
        try:
            return self._details(image, image.ref.arn)
        except ImageNotFound:
            return None  # deleted since it was listed

    def _with_details(
        self, image: Mapping[str, Any], fallback: ImageRef, *, tags: bool = True
    ) -> ImageSnapshot:
        bare = snapshot_from_wire(image, fallback)
        return self._details(bare, image.get("Arn") or bare.ref.arn, tags=tags)

    def _details(self, bare: ImageSnapshot, arn: str, *, tags: bool = True) -> ImageSnapshot:
        ref = bare.ref
        shared: tuple[SharedAccountPermission, ...] = ()
        # Only the owner can read a share list; PUBLIC/SHARED images have none of ours.
        if bare.visibility == "PRIVATE":
            shared = tuple(
                permissions_from_wire(entry)
                for entry in self._pages(
                    ref.account_id,
                    ref.region,
                    "DescribeImagePermissions",
                    "SharedImagePermissionsList",
                    Name=ref.name,
                    MaxResults=DESCRIBE_PERMISSIONS_PAGE,
                )
            )
        if not tags:
            return bare.model_copy(update={"shared_with": shared})
        listed = self._call(ref.account_id, ref.region, "ListTagsForResource", ResourceArn=arn)
        return bare.model_copy(update={"shared_with": shared, "tags": listed.get("Tags") or {}})

    def list_fleets(self, account_id: str, region: str) -> list[FleetUsage]:
        """Every fleet of ``account_id`` in ``region`` (DescribeFleets, all pages)."""
        return [
            FleetUsage.from_wire(fleet, account_id, region)
            for fleet in self._pages(account_id, region, "DescribeFleets", "Fleets")
        ]

    def list_image_builders(self, account_id: str, region: str) -> list[BuilderUsage]:
        """Every image builder of ``account_id`` in ``region`` (DescribeImageBuilders)."""
        return [
            BuilderUsage.from_wire(builder, account_id, region)
            for builder in self._pages(account_id, region, "DescribeImageBuilders", "ImageBuilders")
        ]

    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]:
        """Fleets in ``account_id``/``region`` running the image (by ARN, or by name in the
        owner's own account)."""
        ref = ref_or_arn if isinstance(ref_or_arn, ImageRef) else ImageRef.from_arn(ref_or_arn)
        same_place = (account_id, region) == (ref.account_id, ref.region)
        return [
            fleet
            for fleet in self.list_fleets(account_id, region)
            if fleet.image_arn == ref.arn or (same_place and fleet.image_name == ref.name)
        ]

    def builders_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[BuilderUsage]:
        """Image builders in ``account_id``/``region`` created from the image (by ARN)."""
        ref = ref_or_arn if isinstance(ref_or_arn, ImageRef) else ImageRef.from_arn(ref_or_arn)
        return [b for b in self.list_image_builders(account_id, region) if b.image_arn == ref.arn]

    # -- writes --

    def update_permissions(self, ref: ImageRef, account_id: str, permissions: Permissions) -> None:
        """Set ``account_id``'s permissions on the image (UpdateImagePermissions replaces)."""
        self._call(
            ref.account_id,
            ref.region,
            "UpdateImagePermissions",
            Name=ref.name,
            SharedAccountId=account_id,
            ImagePermissions=permissions_to_wire(permissions),
        )

    def delete_permissions(self, ref: ImageRef, account_id: str) -> None:
        """Stop sharing the image with ``account_id`` altogether."""
        self._call(
            ref.account_id,
            ref.region,
            "DeleteImagePermissions",
            Name=ref.name,
            SharedAccountId=account_id,
        )

    def copy_image(
        self, ref: ImageRef, destination_region: str, destination_name: str, description: str | None
    ) -> str:
        """Start a copy; returns the destination image name. Tags and shares are not copied."""
        kwargs: dict[str, Any] = {
            "SourceImageName": ref.name,
            "DestinationImageName": destination_name,
            "DestinationRegion": destination_region,
        }
        if description:
            kwargs["DestinationImageDescription"] = description
        result = self._call(ref.account_id, ref.region, "CopyImage", **kwargs)
        return str(result.get("DestinationImageName") or destination_name)

    def tag_image(self, ref: ImageRef, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on the image."""
        self._call(ref.account_id, ref.region, "TagResource", ResourceArn=ref.arn, Tags=dict(tags))

    def untag_image(self, ref: ImageRef, keys: list[str]) -> None:
        """Remove tag keys from the image."""
        self._call(ref.account_id, ref.region, "UntagResource", ResourceArn=ref.arn, TagKeys=keys)

    def delete_image(self, ref: ImageRef) -> None:
        """Delete the image (fails with ``ResourceInUse`` while used by a fleet or shared)."""
        self._call(ref.account_id, ref.region, "DeleteImage", Name=ref.name)
