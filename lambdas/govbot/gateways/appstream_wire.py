"""AppStream on the wire: the gateway's error hierarchy and the API's shapes as domain types.

Pure (no client, no call): botocore errors become the small typed hierarchy here, so callers
branch on ``ImageNotFound`` instead of error-code strings; DescribeImages, DescribeFleets and
DescribeImageBuilders items become snapshots and usages. :mod:`govbot.gateways.appstream`
(the one AppStream gateway) re-exports every public name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission


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


def snake(operation: str) -> str:
    """``DescribeImagePermissions`` -> ``describe_image_permissions`` (boto3 method name)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
