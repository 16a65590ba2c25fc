"""AppStream gateway: the only code in govbot that calls the AppStream API.

Works the same against real AWS, moto-style mocks and the sandbox emulator because it
only ever goes through a boto3 session (injectable). Clients are created lazily per
(account, region), retry throttling with backoff, and can act in a spoke account through
STS AssumeRole. botocore errors never leave this module: they become the small typed
hierarchy below, so callers branch on ``ImageNotFound`` instead of error-code strings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from govbot import __version__
from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.retries import RetrySettings, install_retries
from govbot.iam import declare

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
declare("sts", {"AssumeRole": "remediation-role"})  # _session_for: the spoke's role

USER_AGENT_MARKER = f"govbot/{__version__}"
ASSUMED_SESSION_NAME = "govbot"
# Refresh assumed-role credentials this long before they expire, so a call never starts
# with credentials that die mid-flight.
CREDENTIAL_REFRESH_MARGIN_SECONDS = 300
DESCRIBE_IMAGES_PAGE = 25  # the API maximum
DESCRIBE_PERMISSIONS_PAGE = 500  # the API maximum
Visibility = Literal["PRIVATE", "SHARED", "PUBLIC"]


class AppStreamGatewayError(Exception):
    """An AppStream call failed. ``code`` is AWS's error code, ``operation`` the API name."""

    def __init__(self, code: str, operation: str, message: str) -> None:
        super().__init__(f"{operation} failed with {code}: {message}")
        self.code = code
        self.operation = operation
        self.message = message


class ImageNotFound(AppStreamGatewayError):
    """ResourceNotFoundException: the image (or fleet) does not exist."""


class ResourceInUse(AppStreamGatewayError):
    """ResourceInUseException: e.g. deleting an image a fleet uses or that is shared."""


class LimitExceeded(AppStreamGatewayError):
    """LimitExceededException: a quota (images, share list, concurrent copies) is full."""


class NotAvailable(AppStreamGatewayError):
    """ResourceNotAvailableException: the image is not in a state that allows the call."""


class AlreadyExists(AppStreamGatewayError):
    """ResourceAlreadyExistsException: e.g. a copy's destination name is taken."""


class TransientError(AppStreamGatewayError):
    """A failure that may pass if tried later: 5xx, timeouts, lost connections, throttling."""


class Throttled(TransientError):
    """Throttling that outlasted the client's retries."""


_ERROR_CLASSES: dict[str, type[AppStreamGatewayError]] = {
    "ResourceNotFoundException": ImageNotFound,
    "ResourceInUseException": ResourceInUse,
    "LimitExceededException": LimitExceeded,
    "ResourceNotAvailableException": NotAvailable,
    "ResourceAlreadyExistsException": AlreadyExists,
    "ThrottlingException": Throttled,
    "Throttling": Throttled,
    "TooManyRequestsException": Throttled,
    "RequestLimitExceeded": Throttled,
    "InternalFailure": TransientError,
    "InternalServerError": TransientError,
    "InternalServerException": TransientError,
    "ServiceUnavailable": TransientError,
    "ServiceUnavailableException": TransientError,
    "RequestTimeout": TransientError,
    "RequestTimeoutException": TransientError,
}
# botocore exceptions that mean "no answer" (connection lost, timed out), not "refused".
_TRANSIENT_BOTOCORE = (
    "ConnectionError",
    "HTTPClientError",
    "ReadTimeoutError",
    "ConnectTimeoutError",
)


def translate_error(error: Exception, operation: str) -> AppStreamGatewayError:
    """Map a botocore exception to the gateway's hierarchy (unknown codes -> the base)."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "Unknown")
        message = str(details.get("Message") or error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        default = TransientError if isinstance(status, int) and status >= 500 else None
        kind = _ERROR_CLASSES.get(code, default or AppStreamGatewayError)
        return kind(code, operation, message)
    lineage = {cls.__name__ for cls in type(error).__mro__}
    kind = TransientError if lineage & set(_TRANSIENT_BOTOCORE) else AppStreamGatewayError
    return kind(type(error).__name__, operation, str(error))


def paginate(
    call: Callable[..., Mapping[str, Any]], result_key: str, **kwargs: Any
) -> Iterator[Any]:
    """Yield every item of ``result_key`` across all ``NextToken`` pages of ``call``.

    Written once for every paged AppStream call (DescribeImagePermissions has no botocore
    paginator). Stops on a missing/empty token, and on a repeated token, which would
    otherwise loop forever against a misbehaving endpoint.
    """
    seen: set[str] = set()
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(result_key) or []
        token = page.get("NextToken") or None
        if token is None or token in seen:
            return
        seen.add(token)


def permissions_from_wire(entry: Mapping[str, Any]) -> SharedAccountPermission:
    """One ``SharedImagePermissions`` item -> domain type (absent flags mean not granted)."""
    flags = entry.get("imagePermissions") or {}
    return SharedAccountPermission(
        account_id=entry["sharedAccountId"],
        permissions=Permissions(
            allow_fleet=bool(flags.get("allowFleet")),
            allow_image_builder=bool(flags.get("allowImageBuilder")),
        ),
    )


def permissions_to_wire(permissions: Permissions) -> dict[str, bool]:
    """Domain ``Permissions`` -> the API's lowerCamel ``ImagePermissions``."""
    return {
        "allowFleet": permissions.allow_fleet,
        "allowImageBuilder": permissions.allow_image_builder,
    }


def snapshot_from_wire(image: Mapping[str, Any], fallback: ImageRef) -> ImageSnapshot:
    """Build an ``ImageSnapshot`` from a DescribeImages item.

    The ref comes from the image's ARN when it has one (the owner's account), else from
    ``fallback``. ``state_change_reason`` is ``"CODE"`` or ``"CODE: message"``.
    """
    try:
        ref = ImageRef.from_arn(image["Arn"]) if image.get("Arn") else fallback
    except ValueError:
        ref = fallback
    reason = image.get("StateChangeReason") or {}
    code, message = reason.get("Code"), reason.get("Message")
    created = image.get("CreatedTime")
    return ImageSnapshot(
        ref=ref,
        state=image.get("State") or "AVAILABLE",
        visibility=image.get("Visibility") or "PRIVATE",
        created_time=created if isinstance(created, datetime) else None,
        description=image.get("Description"),
        state_change_reason=(f"{code}: {message}" if message else code) if code else message,
    )


@dataclass(frozen=True)
class ImagePage:
    """One DescribeImages page: bare snapshots (no shares or tags) and the next token."""

    images: tuple[ImageSnapshot, ...]
    next_token: str | None


@dataclass(frozen=True)
class FleetUsage:
    """A fleet that runs an image (what revoking fleet permission would scale to 0)."""

    name: str
    arn: str
    state: str
    account_id: str
    region: str
    image_name: str | None
    image_arn: str | None
    desired_capacity: int | None
    in_use: int | None

    @classmethod
    def from_wire(cls, fleet: Mapping[str, Any], account_id: str, region: str) -> FleetUsage:
        """Build from a DescribeFleets item (ARN spaces removed)."""
        capacity = fleet.get("ComputeCapacityStatus") or {}
        return cls(
            name=fleet["Name"],
            arn=fleet.get("Arn", ""),
            state=fleet.get("State", "UNKNOWN"),
            account_id=account_id,
            region=region,
            image_name=fleet.get("ImageName"),
            image_arn="".join((fleet.get("ImageArn") or "").split()) or None,
            desired_capacity=capacity.get("Desired"),
            in_use=capacity.get("InUse"),
        )


@dataclass(frozen=True)
class BuilderUsage:
    """An image builder created from an image (it and what it builds belong to its account)."""

    name: str
    arn: str
    state: str
    account_id: str
    region: str
    image_arn: str | None
    created_time: datetime | None

    @classmethod
    def from_wire(cls, builder: Mapping[str, Any], account_id: str, region: str) -> BuilderUsage:
        """Build from a DescribeImageBuilders item."""
        created = builder.get("CreatedTime")
        return cls(
            name=builder["Name"],
            arn=builder.get("Arn", ""),
            state=builder.get("State", "UNKNOWN"),
            account_id=account_id,
            region=region,
            image_arn="".join((builder.get("ImageArn") or "").split()) or None,
            created_time=created if isinstance(created, datetime) else None,
        )


# A boto3 ``Session`` or anything with its ``client(service_name, region_name=, ...)``.
SessionLike = Any


class _AssumedRole:
    """Clients with assumed-role credentials, made by the process's one base Session.

    A Session per assumed role would reload botocore's endpoint and model data each time;
    the base Session's ``client(..., aws_access_key_id=...)`` reuses what it has loaded.
    """

    def __init__(self, base: SessionLike, credentials: Mapping[str, Any]) -> None:
        self._base = base
        self._credentials = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }

    def client(self, service_name: str, **kwargs: Any) -> Any:
        return self._base.client(service_name, **self._credentials, **kwargs)


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
        retry_mode: Literal["govbot", "adaptive", "standard"] = "govbot",
        max_attempts: int | None = None,
        retry: RetrySettings | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session or boto3.session.Session()
        self._role_arn_for = role_arn_for or (lambda _account: None)
        self._session_factory = session_factory or partial(_AssumedRole, self._session)
        self._endpoint_url = endpoint_url
        self._clock = clock
        # "govbot": botocore's retry conditions without its per-client quota (see
        # govbot.gateways.retries); "standard"/"adaptive" are botocore's own, quota included.
        self._retry = retry or RetrySettings()
        if max_attempts is not None:
            self._retry = RetrySettings(
                max_attempts, self._retry.base_seconds, self._retry.cap_seconds
            )
        self._retry_mode = retry_mode
        self._config = Config(
            retries={
                "mode": "standard" if retry_mode == "govbot" else retry_mode,
                "total_max_attempts": self._retry.max_attempts,
            },
            user_agent_extra=USER_AGENT_MARKER,
        )
        self._assumed: dict[str, tuple[SessionLike, float]] = {}
        self._clients: dict[tuple[str, str], tuple[Any, SessionLike]] = {}
        # Clients are thread-safe, sessions are not: the drift sweep calls from several
        # threads, so making a session or a client is serialised here.
        self._client_lock = threading.RLock()

    # -- sessions and clients --

    def _session_for(self, account_id: str, region: str) -> SessionLike:
        role_arn = self._role_arn_for(account_id)
        if role_arn is None:
            return self._session
        cached = self._assumed.get(role_arn)
        if cached and cached[1] - CREDENTIAL_REFRESH_MARGIN_SECONDS > self._clock():
            return cached[0]
        sts = self._session.client("sts", region_name=region, config=self._config)
        try:
            credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=ASSUMED_SESSION_NAME)[
                "Credentials"
            ]
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(exc, "AssumeRole") from exc
        expiration = credentials["Expiration"]
        expires_at = expiration.timestamp() if isinstance(expiration, datetime) else 0.0
        session = self._session_factory(credentials)
        self._assumed[role_arn] = (session, expires_at)
        return session

    def client(self, account_id: str, region: str) -> Any:
        """The AppStream client for ``account_id`` in ``region`` (created once, then reused).

        Safe to call from several threads (the drift sweep's lanes).
        """
        with self._client_lock:
            session = self._session_for(account_id, region)
            cached = self._clients.get((account_id, region))
            if cached is not None and cached[1] is session:
                return cached[0]
            new_client = session.client(
                "appstream",
                region_name=region,
                config=self._config,
                endpoint_url=self._endpoint_url,
            )
            if self._retry_mode == "govbot":
                install_retries(new_client, self._retry)
            self._clients[(account_id, region)] = (new_client, session)
            return new_client

    def service_client(self, service: str, account_id: str, region: str) -> Any:
        """A ``service`` client (EC2: exported AMIs) with the credentials this gateway uses
        in ``account_id`` (the remediation role in a spoke), made once per account+region."""
        with self._client_lock:
            session = self._session_for(account_id, region)
            key = (f"{service}:{account_id}", region)
            cached = self._clients.get(key)
            if cached is not None and cached[1] is session:
                return cached[0]
            new_client = session.client(service, region_name=region, config=self._config)
            self._clients[key] = (new_client, session)
            return new_client

    def call(self, account_id: str, region: str, operation: str, **kwargs: Any) -> Any:
        """One AppStream call by operation name, errors translated (for the exits gateway)."""
        return self._call(account_id, region, operation, **kwargs)

    def _call(self, account_id: str, region: str, operation: str, **kwargs: Any) -> Any:
        method = getattr(self.client(account_id, region), _snake(operation))
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


def _snake(operation: str) -> str:
    """``DescribeImagePermissions`` -> ``describe_image_permissions`` (boto3 method name)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
