"""The boundary between the emulator's transport and its backend.

The transport (wire protocols, botocore hook, HTTP server) resolves who is calling and
decodes the request; it hands the backend a :class:`CallContext` and the request members.
The backend answers with the output structure or raises :class:`AppStreamError`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallContext:
    """Who is calling, from where: everything the backend needs besides the request."""

    account_id: str
    region: str
    principal_arn: str
    principal_type: str = "IAMUser"
    access_key_id: str = ""
    user_agent: str = ""
    source_ip: str = "127.0.0.1"
    # The x-amzn-RequestId of the reply; CloudTrail's requestID repeats it. "" = make one.
    request_id: str = ""


class AppStreamError(Exception):
    """A modelled (or validation/throttling) AppStream error.

    ``code`` is the error shape name (``ResourceNotFoundException``...); the transport
    maps it to an HTTP status through botocore's model (400 when not modelled).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# Error codes used by the backend, named once so a typo cannot create a new code.
RESOURCE_NOT_FOUND = "ResourceNotFoundException"
RESOURCE_IN_USE = "ResourceInUseException"
RESOURCE_ALREADY_EXISTS = "ResourceAlreadyExistsException"
RESOURCE_NOT_AVAILABLE = "ResourceNotAvailableException"
LIMIT_EXCEEDED = "LimitExceededException"
INVALID_PARAMETER_COMBINATION = "InvalidParameterCombinationException"
OPERATION_NOT_PERMITTED = "OperationNotPermittedException"
INCOMPATIBLE_IMAGE = "IncompatibleImageException"
VALIDATION = "ValidationException"
UNSUPPORTED_OPERATION = "UnsupportedOperationException"
