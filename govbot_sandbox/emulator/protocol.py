"""AppStream wire protocols: JSON 1.1 and Smithy RPC v2 CBOR, driven by botocore's model.

Pure functions only (no I/O): recognise which protocol and operation a request uses,
decode its body into the params dict botocore would have built, and encode outputs and
errors the way botocore's parsers expect them (`botocore/parsers.py` JSONParser and
RpcV2CBORParser).
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import botocore.session
import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

Protocol = Literal["json", "cbor"]

TARGET_PREFIX = "PhotonAdminProxyService"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
CBOR_CONTENT_TYPE = "application/cbor"
CBOR_PATH_PREFIX = f"/service/{TARGET_PREFIX}/operation/"

# Errors that are not in the model but that AWS returns (and botocore retries).
UNMODELLED_STATUS = {
    "ThrottlingException": 400,
    "UnknownOperationException": 400,
    "SerializationException": 400,
    "ValidationException": 400,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
}


# AppStream's deepest input shape nests a handful of levels; anything far deeper is junk.
MAX_NESTING = 64


class ProtocolError(Exception):
    """A request the emulator cannot decode; answered as an error in ``protocol``."""

    def __init__(self, code: str, message: str, protocol: Protocol = "json") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.protocol = protocol


@dataclass(frozen=True)
class WireRequest:
    """What the transport learned from the request line and headers."""

    protocol: Protocol
    operation: str


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The installed botocore AppStream service model (loaded once)."""
    return botocore.session.get_session().get_service_model("appstream")


def operation_model(operation: str) -> OperationModel | None:
    """The model of ``operation`` or None when AppStream has no such operation."""
    model = service_model()
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation)


def error_status(code: str) -> int:
    """HTTP status for an error code: the model's ``error.httpStatusCode``, else a default."""
    if code in UNMODELLED_STATUS:
        return UNMODELLED_STATUS[code]
    for shape in service_model().error_shapes:
        if shape.name == code:
            return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
    return 400


def _header(headers: dict[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def identify(method: str, url: str, headers: dict[str, str]) -> WireRequest:
    """Tell the protocol and operation of a request, or raise ``ProtocolError``.

    CBOR: ``POST /service/PhotonAdminProxyService/operation/<Op>`` with
    ``smithy-protocol: rpc-v2-cbor``. JSON 1.1: ``POST /`` with
    ``X-Amz-Target: PhotonAdminProxyService.<Op>``.
    """
    path = urlsplit(url).path or "/"
    is_cbor = path.startswith(CBOR_PATH_PREFIX) or _header(headers, "smithy-protocol") != ""
    protocol: Protocol = "cbor" if is_cbor else "json"
    if method.upper() != "POST":
        raise ProtocolError(
            "UnknownOperationException", f"AppStream accepts only POST, got {method}", protocol
        )
    if is_cbor:
        if _header(headers, "smithy-protocol") != "rpc-v2-cbor":
            raise ProtocolError(
                "SerializationException",
                "rpc-v2-cbor requests need the header 'smithy-protocol: rpc-v2-cbor'",
                protocol,
            )
        if not path.startswith(CBOR_PATH_PREFIX):
            raise ProtocolError(
                "UnknownOperationException",
                f"rpc-v2-cbor path must start with {CBOR_PATH_PREFIX}, got {path}",
                protocol,
            )
        operation = path[len(CBOR_PATH_PREFIX) :].strip("/")
    else:
        target = _header(headers, "X-Amz-Target")
        prefix, _, operation = target.partition(".")
        if prefix != TARGET_PREFIX or not operation:
            raise ProtocolError(
                "UnknownOperationException",
                f"X-Amz-Target must be '{TARGET_PREFIX}.<Operation>', got {target!r}",
                protocol,
            )
    if operation_model(operation) is None:
        raise ProtocolError(
            "UnknownOperationException", f"AppStream has no operation {operation!r}", protocol
        )
    return WireRequest(protocol=protocol, operation=operation)


def decode_request(protocol: Protocol, operation: str, body: bytes) -> dict[str, Any]:
    """Decode a request body into botocore-style params (timestamps become datetimes)."""
    model = operation_model(operation)
    if model is None:
        raise ProtocolError("UnknownOperationException", f"no operation {operation!r}", protocol)
    if not body:
        return {}
    try:
        raw = json.loads(body) if protocol == "json" else cbor2.loads(body)
    except RecursionError:
        raise ProtocolError(
            "SerializationException", f"{operation}: request body is nested too deeply", protocol
        ) from None
    except (ValueError, cbor2.CBORDecodeError) as exc:
        raise ProtocolError(
            "SerializationException",
            f"{operation}: request body is not valid {protocol}: {exc}",
            protocol,
        ) from exc
    if not isinstance(raw, dict):
        raise ProtocolError(
            "SerializationException", f"{operation}: request body must be an object", protocol
        )
    if nesting_depth(raw) > MAX_NESTING:
        raise ProtocolError(
            "SerializationException",
            f"{operation}: request body is nested deeper than {MAX_NESTING} levels",
            protocol,
        )
    if has_non_finite(raw):  # NaN/Infinity: no AppStream member takes one, and no record may
        raise ProtocolError(
            "ValidationException",
            f"{operation}: request holds a number that is not finite (NaN or Infinity)",
            protocol,
        )
    shape = model.input_shape
    if shape is None:
        return {}
    return _decode_value(shape, raw, protocol)


def has_non_finite(value: Any) -> bool:
    """True when a float in ``value`` (lists and objects searched) is NaN or infinite."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (iterative: no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _decode_value(shape: Shape, value: Any, protocol: Protocol) -> Any:
    if value is None:
        return None
    type_name = shape.type_name
    if type_name == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        return {
            key: _decode_value(members[key], item, protocol) if key in members else item
            for key, item in value.items()
            if item is not None
        }
    if type_name == "list" and isinstance(value, list):
        return [_decode_value(shape.member, item, protocol) for item in value]  # type: ignore[attr-defined]
    if type_name == "map" and isinstance(value, dict):
        return {k: _decode_value(shape.value, v, protocol) for k, v in value.items()}  # type: ignore[attr-defined]
    if type_name == "timestamp":
        return _to_datetime(value)
    if type_name == "blob" and protocol == "json" and isinstance(value, str):
        return base64.b64decode(value)
    return value


def _to_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return value


def _epoch(value: datetime) -> float:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.timestamp()


def _encode_value(shape: Shape | None, value: Any, protocol: Protocol) -> Any:
    # Unknown members are kept (encoded generically) so a shape check on the wire sees them.
    if value is None:
        return None
    type_name = shape.type_name if shape is not None else None
    if isinstance(value, dict):
        if type_name == "structure":
            members = shape.members  # type: ignore[union-attr]
            return {
                k: _encode_value(members.get(k), v, protocol)
                for k, v in value.items()
                if v is not None
            }
        item_shape = shape.value if type_name == "map" else None  # type: ignore[union-attr]
        return {k: _encode_value(item_shape, v, protocol) for k, v in value.items()}
    if isinstance(value, list | tuple):
        item_shape = shape.member if type_name == "list" else None  # type: ignore[union-attr]
        return [_encode_value(item_shape, v, protocol) for v in value]
    if isinstance(value, datetime):
        epoch = _epoch(value)
        return epoch if protocol == "json" else cbor2.CBORTag(1, epoch)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii") if protocol == "json" else value
    return value


def content_type(protocol: Protocol) -> str:
    """The Content-Type of a reply in ``protocol``."""
    return JSON_CONTENT_TYPE if protocol == "json" else CBOR_CONTENT_TYPE


def _base_headers(protocol: Protocol, request_id: str) -> dict[str, str]:
    headers = {"Content-Type": content_type(protocol), "x-amzn-RequestId": request_id}
    if protocol == "cbor":
        headers["smithy-protocol"] = "rpc-v2-cbor"
    return headers


def _dump(protocol: Protocol, payload: Any) -> bytes:
    if protocol == "json":
        return json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return cbor2.dumps(payload)


def encode_output(
    protocol: Protocol, operation: str, output: dict[str, Any], request_id: str
) -> tuple[int, dict[str, str], bytes]:
    """Encode a successful output dict as a 200 reply in ``protocol``."""
    model = operation_model(operation)
    shape = model.output_shape if model is not None else None
    payload = _encode_value(shape, output, protocol) if shape is not None else {}
    body = _dump(protocol, payload)
    headers = _base_headers(protocol, request_id)
    headers["Content-Length"] = str(len(body))
    return 200, headers, body


def encode_error(
    protocol: Protocol, code: str, message: str, request_id: str, status: int | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Encode an error reply: ``{"__type": code, "message": ...}`` with the model's status."""
    body = _dump(protocol, {"__type": code, "message": message})
    headers = _base_headers(protocol, request_id)
    headers["x-amzn-ErrorType"] = code
    headers["Content-Length"] = str(len(body))
    return (status if status is not None else error_status(code)), headers, body


def decode_wire_output(protocol: Protocol, body: bytes) -> Any:
    """Decode a reply body as plain data (timestamps as numbers or datetimes); for checks."""
    if not body:
        return {}
    if protocol == "json":
        return json.loads(body)
    return cbor2.loads(body)
