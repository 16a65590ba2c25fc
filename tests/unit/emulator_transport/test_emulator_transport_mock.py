"""In-process mode: real boto3 clients answered by the emulator, with sockets blocked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from govbot_sandbox.emulator import (
    AppStreamEmulator,
    ShapeViolation,
    active_emulator,
    mock_appstream,
)
from govbot_sandbox.emulator.mock import EVENT_NAME, before_send
from tests.unit.emulator_transport.fakes import CREATED, FakeBackend

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def emulator(backend: FakeBackend) -> Iterator[AppStreamEmulator]:
    emulator = AppStreamEmulator(backend, sinks=[], sleep=lambda _: None)
    with mock_appstream(emulator):
        yield emulator


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry back-off sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


def _client(region: str = "us-east-1", **kwargs: Any) -> Any:
    return boto3.client("appstream", region_name=region, config=NO_RETRY, **kwargs)


def test_client_created_inside_is_answered(emulator: AppStreamEmulator) -> None:
    images = _client().describe_images()["Images"]
    assert images[0]["Name"] == "golden"
    assert images[0]["CreatedTime"] == CREATED
    assert emulator.calls["DescribeImages"] == 1


def test_client_created_before_entering_is_answered(backend: FakeBackend) -> None:
    client = _client("eu-west-1")
    with mock_appstream(AppStreamEmulator(backend, sinks=[])):
        client.describe_images()
    assert backend.calls[0][2].region == "eu-west-1"


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_outside_the_context_nothing_is_intercepted() -> None:
    assert active_emulator() is None
    with pytest.raises(Exception, match=r"[Ss]ocket"):
        _client().describe_images()


def test_context_passes_identity_region_and_user_agent(
    emulator: AppStreamEmulator, backend: FakeBackend
) -> None:
    emulator.register_identity("AKIASPOKE", "210987654321", "arn:aws:iam::210987654321:user/bob")
    client = _client(
        "ap-northeast-1",
        aws_access_key_id="AKIASPOKE",
        aws_secret_access_key="x",
        aws_session_token=None,
    )
    client.update_image_permissions(
        Name="golden", SharedAccountId="111122223333", ImagePermissions={"allowFleet": True}
    )
    operation, params, ctx = backend.calls[-1]
    assert operation == "UpdateImagePermissions"
    assert params == {
        "Name": "golden",
        "SharedAccountId": "111122223333",
        "ImagePermissions": {"allowFleet": True},
    }
    assert (ctx.account_id, ctx.region, ctx.access_key_id) == (
        "210987654321",
        "ap-northeast-1",
        "AKIASPOKE",
    )
    assert ctx.principal_arn == "arn:aws:iam::210987654321:user/bob"
    assert ctx.user_agent.startswith("Boto3/")


def test_modelled_errors_become_client_errors_with_model_status(
    emulator: AppStreamEmulator,
) -> None:
    client = _client()
    with pytest.raises(ClientError) as missing:
        client.update_image_permissions(
            Name="other", SharedAccountId="111122223333", ImagePermissions={}
        )
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.ResourceInUseException) as in_use:
        client.delete_image(Name="golden")
    assert in_use.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_backend_crash_is_an_internal_failure(emulator: AppStreamEmulator) -> None:
    with pytest.raises(ClientError) as info:
        _client().create_image_builder(Name="b", InstanceType="stream.standard.small")
    assert info.value.response["Error"]["Code"] == "InternalFailure"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_throttling_surfaces_after_retries(
    emulator: AppStreamEmulator, backoffs: list[float]
) -> None:
    emulator.faults.set("DescribeImages", throttle_rate=1.0)
    # botocore's max_attempts counts retries: one retry, then the error surfaces.
    client = boto3.client(
        "appstream", region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )
    with pytest.raises(ClientError) as info:
        client.describe_images()
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert emulator.faults.count("DescribeImages", "throttle") == 2
    assert len(backoffs) == 1


def test_botocore_retries_a_transient_failure_then_succeeds(
    emulator: AppStreamEmulator, backend: FakeBackend, backoffs: list[float]
) -> None:
    emulator.faults.set("DescribeImages", transient_next=1, transient_status=503)
    client = boto3.client(
        "appstream",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    response = client.describe_images()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert emulator.faults.count("DescribeImages", "transient") == 1
    assert len(backend.calls) == 1  # the failed attempt never reached the backend


def test_latency_fault_waits_through_the_injected_sleeper(backend: FakeBackend) -> None:
    waits: list[float] = []
    emulator = AppStreamEmulator(backend, sinks=[], sleep=waits.append)
    emulator.faults.set("*", latency=1.5)
    with mock_appstream(emulator):
        _client().describe_images()
    assert waits == [1.5]


def test_validate_responses_raises_on_shape_violation(backend: FakeBackend) -> None:
    backend.output_override = {"Images": [{"Name": "x", "Bogus": 1}]}
    emulator = AppStreamEmulator(backend, sinks=[], validate_responses=True)
    with (
        mock_appstream(emulator),
        pytest.raises(ShapeViolation, match="unknown member 'Bogus'"),
    ):
        _client().describe_images()


def test_events_reach_the_recording_sink(backend: FakeBackend) -> None:
    emulator = AppStreamEmulator(backend, sinks=[])
    with mock_appstream(emulator):
        _client().update_image_permissions(
            Name="golden", SharedAccountId="111122223333", ImagePermissions={"allowFleet": True}
        )
    assert [e["detail"]["eventName"] for e in emulator.events.events] == ["UpdateImagePermissions"]


def test_contexts_nest_innermost_wins() -> None:
    outer_backend, inner_backend = FakeBackend(), FakeBackend()
    with mock_appstream(AppStreamEmulator(outer_backend, sinks=[])):
        with mock_appstream(AppStreamEmulator(inner_backend, sinks=[])):
            _client().describe_images()
        _client().describe_images()
    assert (len(outer_backend.calls), len(inner_backend.calls)) == (1, 1)


def test_decorator_form_activates_the_emulator(backend: FakeBackend) -> None:
    emulator = AppStreamEmulator(backend, sinks=[])

    @mock_appstream(emulator)
    def call() -> str:
        return _client().describe_images()["Images"][0]["Name"]

    assert call() == "golden"
    assert active_emulator() is None


def test_session_without_the_builtin_handler_uses_the_send_fallback(backend: FakeBackend) -> None:
    session = botocore.session.get_session()
    client: Any = session.create_client(
        "appstream",
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=NO_RETRY,
    )
    client.meta.events.unregister(EVENT_NAME, before_send)
    with mock_appstream(AppStreamEmulator(backend, sinks=[])):
        client.describe_images()
    assert len(backend.calls) == 1


def test_cbor_request_through_the_facade_answers_cbor(backend: FakeBackend) -> None:
    from botocore.parsers import create_parser
    from botocore.serialize import create_serializer

    from govbot_sandbox.emulator.protocol import operation_model

    model = operation_model("DescribeImages")
    assert model is not None
    request = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(
        {"Names": ["golden"]}, model
    )
    emulator = AppStreamEmulator(backend, sinks=[])
    status, headers, body = emulator.handle(
        "POST",
        "https://appstream2.us-east-1.amazonaws.com" + request["url_path"],
        request["headers"],
        request["body"],
    )
    parsed = create_parser("smithy-rpc-v2-cbor").parse(
        {
            "status_code": status,
            "headers": {k.lower(): v for k, v in headers.items()},
            "body": body,
        },
        model.output_shape,  # type: ignore[arg-type]
    )
    assert status == 200
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert parsed["Images"][0]["CreatedTime"] == CREATED
    assert backend.calls[0][1] == {"Names": ["golden"]}
