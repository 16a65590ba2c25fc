"""Wire protocols: the emulator decodes what botocore serializes and botocore parses what
the emulator encodes, in JSON 1.1 and in rpc-v2-cbor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from govbot_sandbox.emulator import protocol

UPDATE_PARAMS = {
    "Name": "golden",
    "SharedAccountId": "210987654321",
    "ImagePermissions": {"allowFleet": True, "allowImageBuilder": False},
}
IMAGES_OUTPUT: dict[str, Any] = {
    "Images": [
        {
            "Name": "golden",
            "Arn": "arn:aws:appstream:us-east-1:123456789012:image/golden",
            "State": "AVAILABLE",
            "CreatedTime": datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC),
            "ImagePermissions": {"allowFleet": True, "allowImageBuilder": True},
        }
    ],
    "NextToken": "t1",
}
WIRE = {"json": "json", "cbor": "smithy-rpc-v2-cbor"}


def _serialize(wire: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    model = protocol.operation_model(operation)
    assert model is not None
    return create_serializer(WIRE[wire]).serialize_to_request(params, model)


def _parse(wire: str, operation: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    model = protocol.operation_model(operation)
    assert model is not None
    shape = model.output_shape
    assert shape is not None
    lowered = {k.lower(): v for k, v in headers.items()}  # botocore hands parsers lower-case keys
    response = {"status_code": status, "headers": lowered, "body": body}
    return create_parser(WIRE[wire]).parse(response, shape)


def test_identify_json_request_from_botocore_serializer() -> None:
    request = _serialize("json", "UpdateImagePermissions", UPDATE_PARAMS)
    wire = protocol.identify(
        "POST", "https://appstream2.us-east-1.amazonaws.com/", request["headers"]
    )
    assert wire == protocol.WireRequest("json", "UpdateImagePermissions")


def test_identify_cbor_request_from_botocore_serializer() -> None:
    request = _serialize(
        "cbor",
        "CopyImage",
        {"SourceImageName": "a", "DestinationImageName": "b", "DestinationRegion": "eu-west-1"},
    )
    wire = protocol.identify("POST", f"https://h{request['url_path']}", request["headers"])
    assert wire == protocol.WireRequest("cbor", "CopyImage")


@pytest.mark.parametrize("wire", ["json", "cbor"])
def test_decode_request_round_trips_botocore_params(wire: str) -> None:
    request = _serialize(wire, "UpdateImagePermissions", UPDATE_PARAMS)
    decoded = protocol.decode_request(wire, "UpdateImagePermissions", request["body"])  # type: ignore[arg-type]
    assert decoded == UPDATE_PARAMS


@pytest.mark.parametrize(
    ("method", "url", "headers", "code"),
    [
        (
            "POST",
            "http://h/",
            {"X-Amz-Target": "PhotonAdminProxyService.Nope"},
            "UnknownOperationException",
        ),
        (
            "POST",
            "http://h/",
            {"X-Amz-Target": "Other.DescribeImages"},
            "UnknownOperationException",
        ),
        ("POST", "http://h/", {}, "UnknownOperationException"),
        (
            "GET",
            "http://h/",
            {"X-Amz-Target": "PhotonAdminProxyService.DescribeImages"},
            "UnknownOperationException",
        ),
        (
            "POST",
            "http://h/service/PhotonAdminProxyService/operation/DescribeImages",
            {},
            "SerializationException",
        ),
        (
            "POST",
            "http://h/service/PhotonAdminProxyService/operation/Nope",
            {"smithy-protocol": "rpc-v2-cbor"},
            "UnknownOperationException",
        ),
    ],
)
def test_identify_rejects_bad_requests_with_specific_codes(
    method: str, url: str, headers: dict[str, str], code: str
) -> None:
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.identify(method, url, headers)
    assert info.value.code == code
    assert info.value.message


def test_cbor_errors_are_answered_in_cbor() -> None:
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.identify(
            "POST",
            "http://h/service/PhotonAdminProxyService/operation/Nope",
            {"smithy-protocol": "rpc-v2-cbor"},
        )
    assert info.value.protocol == "cbor"


@pytest.mark.parametrize("wire", ["json", "cbor"])
def test_garbage_body_is_a_serialization_error(wire: str) -> None:
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.decode_request(wire, "DescribeImages", b"\xff\xfe not a body")  # type: ignore[arg-type]
    assert info.value.code == "SerializationException"
    assert "DescribeImages" in info.value.message


@pytest.mark.parametrize("wire", ["json", "cbor"])
def test_botocore_parses_encoded_output_with_timestamps(wire: str) -> None:
    status, headers, body = protocol.encode_output(wire, "DescribeImages", IMAGES_OUTPUT, "rid-1")  # type: ignore[arg-type]
    parsed = _parse(wire, "DescribeImages", status, headers, body)
    assert status == 200
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-1"
    image = parsed["Images"][0]
    assert image["CreatedTime"] == IMAGES_OUTPUT["Images"][0]["CreatedTime"]
    assert image["ImagePermissions"] == {"allowFleet": True, "allowImageBuilder": True}
    assert parsed["NextToken"] == "t1"


def test_json_timestamps_are_epoch_seconds() -> None:
    _, headers, body = protocol.encode_output("json", "DescribeImages", IMAGES_OUTPUT, "r")
    decoded = protocol.decode_wire_output("json", body)
    assert decoded["Images"][0]["CreatedTime"] == pytest.approx(1767323045.25)
    assert headers["Content-Type"] == "application/x-amz-json-1.1"


def test_cbor_reply_carries_smithy_protocol_header() -> None:
    _, headers, _ = protocol.encode_output("cbor", "DescribeImages", {"Images": []}, "r")
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["Content-Type"] == "application/cbor"


@pytest.mark.parametrize("wire", ["json", "cbor"])
@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ResourceNotFoundException", 404),
        ("ResourceInUseException", 400),
        ("LimitExceededException", 400),
        ("ThrottlingException", 400),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
        ("SomethingNewException", 400),
    ],
)
def test_errors_carry_model_status_and_parse_as_botocore_errors(
    wire: str, code: str, status: int
) -> None:
    got_status, headers, body = protocol.encode_error(wire, code, "why", "rid-9")  # type: ignore[arg-type]
    parsed = _parse(wire, "DeleteImage", got_status, headers, body)
    assert got_status == status
    assert parsed["Error"] == {"Code": code, "Message": "why"}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-9"


def test_error_status_reads_the_model() -> None:
    assert protocol.error_status("DryRunOperationException") == 412
