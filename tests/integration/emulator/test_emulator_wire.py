"""The wire: rpc-v2-cbor end to end, the HTTP server's behaviour and faults through it."""

from __future__ import annotations

import http.client
import json
from typing import Any

import boto3
import botocore.model
import pytest
from botocore.config import Config
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from govbot_sandbox.emulator import AppStreamEmulator, check_output, mock_appstream
from govbot_sandbox.emulator.protocol import operation_model
from tests.integration.emulator.conftest import OWNER, REGION, appstream_client


def _cbor_exchange(
    server_netloc: str, operation: str, params: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Serialize with botocore's CBOR serializer, POST over loopback, parse with its parser."""
    model = operation_model(operation)
    assert model is not None
    request = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(params, model)
    host, port = server_netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port))
    try:
        conn.request("POST", request["url_path"], body=request["body"], headers=request["headers"])
        reply = conn.getresponse()
        body = reply.read()
        headers = {k.lower(): v for k, v in reply.getheaders()}
    finally:
        conn.close()
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    parsed = create_parser("smithy-rpc-v2-cbor").parse(
        {"status_code": reply.status, "headers": headers, "body": body},
        model.output_shape,  # type: ignore[arg-type]
    )
    return reply.status, parsed


def test_cbor_through_the_http_server(emulator: AppStreamEmulator) -> None:
    emulator.seed_image(OWNER, REGION, "golden")
    with emulator.serve() as server:
        status, parsed = _cbor_exchange(
            server.netloc,
            "UpdateImagePermissions",
            {
                "Name": "golden",
                "SharedAccountId": "210987654321",
                "ImagePermissions": {"allowFleet": True, "allowImageBuilder": False},
            },
        )
        assert status == 200
        status, parsed = _cbor_exchange(server.netloc, "DescribeImages", {"Names": ["golden"]})
        missing_status, missing = _cbor_exchange(server.netloc, "DeleteImage", {"Name": "nope"})
    assert status == 200
    check_output("DescribeImages", parsed, parsed=True)
    image = parsed["Images"][0]
    assert image["ImageSharedWithOthers"] == "TRUE"
    assert image["CreatedTime"].tzinfo is not None
    assert missing_status == 404
    assert missing["Error"]["Code"] == "ResourceNotFoundException"


def test_a_boto3_client_that_prefers_cbor_works_in_process(
    emulator: AppStreamEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a later botocore would do: rank rpc-v2-cbor first for AppStream.
    order = list(getattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS"))  # noqa: B009
    order.remove("smithy-rpc-v2-cbor")
    monkeypatch.setattr(
        botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ("smithy-rpc-v2-cbor", *order)
    )
    emulator.seed_image(OWNER, REGION, "golden", tags={"team": "blue"})
    with mock_appstream(emulator):
        client = appstream_client()
        assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
        images = client.describe_images(Names=["golden"])
        tags = client.list_tags_for_resource(ResourceArn=images["Images"][0]["Arn"])
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.delete_image(Name="nope")
    check_output("DescribeImages", images, parsed=True)
    assert images["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/cbor"
    assert tags["Tags"] == {"team": "blue"}


def test_server_answers_unknown_operations_and_bad_bodies(emulator: AppStreamEmulator) -> None:
    with emulator.serve() as server:
        conn = http.client.HTTPConnection(server.host, server.port)
        try:
            conn.request(
                "POST",
                "/",
                body=b"{}",
                headers={
                    "X-Amz-Target": "PhotonAdminProxyService.LaunchRockets",
                    "Content-Type": "application/x-amz-json-1.1",
                },
            )
            unknown = conn.getresponse()
            unknown_body = json.loads(unknown.read())
            conn.request(
                "POST",
                "/",
                body=b"{not json",
                headers={
                    "X-Amz-Target": "PhotonAdminProxyService.DescribeImages",
                },
            )
            garbage = conn.getresponse()
            garbage_body = json.loads(garbage.read())
        finally:
            conn.close()
    assert (unknown.status, unknown_body["__type"]) == (400, "UnknownOperationException")
    assert "LaunchRockets" in unknown_body["message"]
    assert (garbage.status, garbage_body["__type"]) == (400, "SerializationException")


def test_server_stop_is_idempotent_and_releases_the_port(emulator: AppStreamEmulator) -> None:
    server = emulator.serve()
    assert server.running
    assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
    assert emulator.owns_netloc(server.netloc)
    server.stop()
    server.stop()
    assert not server.running
    assert not emulator.owns_netloc(server.netloc)


def test_faults_apply_through_the_server(emulator: AppStreamEmulator) -> None:
    emulator.seed_image(OWNER, REGION, "golden")
    emulator.faults.set("CopyImage", transient_next=1, transient_status=500)
    emulator.faults.set("DescribeImages", throttle_rate=1.0)
    with emulator.serve() as server:
        client = appstream_client(endpoint_url=server.endpoint_url)
        with pytest.raises(client.exceptions.ClientError) as transient:
            client.copy_image(
                SourceImageName="golden", DestinationImageName="g2", DestinationRegion="eu-west-1"
            )
        copied = client.copy_image(
            SourceImageName="golden", DestinationImageName="g2", DestinationRegion="eu-west-1"
        )
        with pytest.raises(client.exceptions.ClientError) as throttled:
            client.describe_images()
    assert transient.value.response["Error"]["Code"] == "InternalFailure"
    assert transient.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert copied["DestinationImageName"] == "g2"
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    assert emulator.faults.count("CopyImage", "transient") == 1
    assert emulator.faults.count("DescribeImages", "throttle") == 1


def test_forced_modelled_error_in_process(in_process: AppStreamEmulator) -> None:
    in_process.seed_image(OWNER, REGION, "golden")
    in_process.faults.set(
        "UpdateImagePermissions",
        error_code="LimitExceededException",
        error_next=1,
        error_message="share list full",
    )
    client = appstream_client()
    with pytest.raises(client.exceptions.LimitExceededException) as info:
        client.update_image_permissions(
            Name="golden", SharedAccountId="210987654321", ImagePermissions={"allowFleet": True}
        )
    client.update_image_permissions(
        Name="golden", SharedAccountId="210987654321", ImagePermissions={"allowFleet": True}
    )
    assert info.value.response["Error"]["Message"] == "share list full"
    assert in_process.faults.count("UpdateImagePermissions", "error") == 1
    # The forced failure changed nothing and emitted nothing; the real call did.
    assert len(in_process.events.named("UpdateImagePermissions")) == 1


def test_in_process_mock_leaves_other_endpoints_alone(emulator: AppStreamEmulator) -> None:
    other = AppStreamEmulator(sinks=[])
    other.seed_image(OWNER, REGION, "elsewhere")
    with other.serve() as server, mock_appstream(emulator):
        # A client pointed at another emulator's server goes over the wire to it.
        client = boto3.client(
            "appstream",
            region_name=REGION,
            endpoint_url=server.endpoint_url,
            config=Config(retries={"total_max_attempts": 1}),
        )
        names = [i["Name"] for i in client.describe_images(Type="PRIVATE")["Images"]]
    assert names == ["elsewhere"]
    assert emulator.calls["DescribeImages"] == 0


def test_mock_aws_entered_inside_mock_appstream_still_yields_to_the_emulator(
    emulator: AppStreamEmulator,
) -> None:
    from moto import mock_aws

    emulator.seed_image(OWNER, REGION, "golden")
    early = appstream_client()  # made before either mock
    with mock_appstream(emulator), mock_aws():
        late = appstream_client()
        names = [c.describe_images(Names=["golden"])["Images"][0]["Name"] for c in (early, late)]
        queues = boto3.client("sqs", region_name=REGION).list_queues()
    assert names == ["golden", "golden"]
    assert "QueueUrls" not in queues  # moto answered SQS, with its empty world
