"""CloudTrail envelopes: one per successful mutating call, none otherwise; the service
event of an image build is shaped like AWS's published sample."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govbot_sandbox.emulator.contract import AppStreamError
from tests.unit.emulator_core.conftest import CONSUMER, DEST, OWNER, REGION, Harness

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
JAVA_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}$"
)


def _golden(w: Harness) -> str:
    return w.backend.seed_image(OWNER, REGION, "golden", shared_with={CONSUMER: (True, True)})


def _setup_update(w: Harness) -> dict[str, Any]:
    _golden(w)
    return {
        "Name": "golden",
        "SharedAccountId": "444444444444",
        "ImagePermissions": {"allowFleet": True, "allowImageBuilder": False},
    }


def _setup_delete_perm(w: Harness) -> dict[str, Any]:
    _golden(w)
    return {"Name": "golden", "SharedAccountId": CONSUMER}


def _setup_copy(w: Harness) -> dict[str, Any]:
    _golden(w)
    return {
        "SourceImageName": "golden",
        "DestinationImageName": "golden-eu",
        "DestinationRegion": DEST,
        "DestinationImageDescription": "copy",
    }


def _setup_delete(w: Harness) -> dict[str, Any]:
    w.backend.seed_image(OWNER, REGION, "old")
    return {"Name": "old"}


def _setup_updated(w: Harness) -> dict[str, Any]:
    _golden(w)
    return {"existingImageName": "golden", "newImageName": "golden-v2", "newImageTags": {"K": "v"}}


def _setup_tag(w: Harness) -> dict[str, Any]:
    return {"ResourceArn": _golden(w), "Tags": {"Owner": "Team-A"}}


def _setup_untag(w: Harness) -> dict[str, Any]:
    arn = w.backend.seed_image(OWNER, REGION, "t", tags={"Owner": "x"})
    return {"ResourceArn": arn, "TagKeys": ["Owner"]}


def _setup_create_fleet(w: Harness) -> dict[str, Any]:
    _golden(w)
    return {
        "Name": "prod",
        "ImageName": "golden",
        "InstanceType": "stream.standard.medium",
        "ComputeCapacity": {"DesiredInstances": 2},
    }


def _setup_update_fleet(w: Harness) -> dict[str, Any]:
    w.backend.seed_fleet(OWNER, REGION, "prod", _golden(w))
    return {"Name": "prod", "ComputeCapacity": {"DesiredInstances": 3}}


def _setup_builder(w: Harness) -> dict[str, Any]:
    _golden(w)
    return {"Name": "ib", "ImageName": "golden", "InstanceType": "stream.standard.medium"}


Setup = Callable[[Harness], dict[str, Any]]
MUTATIONS: dict[str, tuple[Setup, dict[str, Any]]] = {
    "UpdateImagePermissions": (
        _setup_update,
        {
            "name": "golden",
            "sharedAccountId": "444444444444",
            "imagePermissions": {"allowFleet": True, "allowImageBuilder": False},
        },
    ),
    "DeleteImagePermissions": (_setup_delete_perm, {"name": "golden", "sharedAccountId": CONSUMER}),
    "CopyImage": (
        _setup_copy,
        {
            "sourceImageName": "golden",
            "destinationImageName": "golden-eu",
            "destinationRegion": DEST,
            "destinationImageDescription": "copy",
        },
    ),
    "DeleteImage": (_setup_delete, {"name": "old"}),
    "CreateUpdatedImage": (
        _setup_updated,
        {"existingImageName": "golden", "newImageName": "golden-v2", "newImageTags": {"K": "v"}},
    ),
    "TagResource": (
        _setup_tag,
        {
            "resourceArn": f"arn:aws:appstream:{REGION}:{OWNER}:image/golden",
            "tags": {"Owner": "Team-A"},
        },
    ),
    "UntagResource": (
        _setup_untag,
        {"resourceArn": f"arn:aws:appstream:{REGION}:{OWNER}:image/t", "tagKeys": ["Owner"]},
    ),
    "CreateFleet": (
        _setup_create_fleet,
        {
            "name": "prod",
            "imageName": "golden",
            "instanceType": "stream.standard.medium",
            "computeCapacity": {"desiredInstances": 2},
        },
    ),
    "UpdateFleet": (
        _setup_update_fleet,
        {"name": "prod", "computeCapacity": {"desiredInstances": 3}},
    ),
    "CreateImageBuilder": (
        _setup_builder,
        {"name": "ib", "imageName": "golden", "instanceType": "stream.standard.medium"},
    ),
}


@pytest.mark.parametrize("operation", sorted(MUTATIONS))
def test_each_mutating_call_emits_one_envelope(world: Harness, operation: str) -> None:
    setup, expected_params = MUTATIONS[operation]
    params = setup(world)
    world.clock.advance(5)
    world.call(OWNER, operation, **params)
    assert len(world.events) == 1
    event = world.events[0]
    assert event["version"] == "0"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["source"] == "aws.appstream"
    assert (event["account"], event["region"], event["resources"]) == (OWNER, REGION, [])
    assert event["time"] == "2026-03-01T12:00:05Z"
    uuid.UUID(event["id"])
    detail = event["detail"]
    assert detail["eventName"] == operation
    assert detail["eventSource"] == "appstream.amazonaws.com"
    assert detail["eventType"] == "AwsApiCall"
    assert (detail["readOnly"], detail["managementEvent"]) == (False, True)
    assert detail["eventVersion"] == "1.08"
    assert detail["awsRegion"] == REGION
    assert detail["recipientAccountId"] == OWNER
    assert ISO_Z.match(detail["eventTime"])
    assert detail["userAgent"] == "pytest/1.0"
    assert detail["sourceIPAddress"] == "127.0.0.1"
    identity = detail["userIdentity"]
    assert identity["arn"] == f"arn:aws:iam::{OWNER}:user/alice"
    assert (identity["type"], identity["accountId"]) == ("IAMUser", OWNER)
    assert identity["accessKeyId"] == "AKIAEXAMPLE"
    assert identity["principalId"].startswith("AIDA")
    assert detail["requestParameters"] == expected_params
    uuid.UUID(detail["eventID"])
    uuid.UUID(detail["requestID"])
    json.dumps(event)  # an envelope is plain JSON: no datetimes left inside


def test_copy_image_response_elements(world: Harness) -> None:
    world.call(OWNER, "CopyImage", **_setup_copy(world))
    assert world.events[0]["detail"]["responseElements"] == {"destinationImageName": "golden-eu"}


def test_calls_without_output_have_null_response_elements(world: Harness) -> None:
    world.call(OWNER, "DeleteImagePermissions", **_setup_delete_perm(world))
    assert world.events[0]["detail"]["responseElements"] is None


def test_event_ids_are_unique(world: Harness) -> None:
    _golden(world)
    for n in range(20):
        world.call(
            OWNER,
            "TagResource",
            ResourceArn=world.image(OWNER, "golden")["Arn"],
            Tags={f"k{n}": "v"},
        )
    assert len(world.events) == 40  # each TagResource, and the DescribeImages finding it
    assert len({e["detail"]["eventID"] for e in world.events}) == 40
    assert len({e["id"] for e in world.events}) == 40


def test_read_only_calls_are_recorded_read_only(world: Harness) -> None:
    arn = _golden(world)
    world.events.clear()
    world.call(OWNER, "DescribeImages")
    world.call(OWNER, "DescribeImagePermissions", Name="golden")
    world.call(OWNER, "ListTagsForResource", ResourceArn=arn)
    world.call(OWNER, "DescribeFleets")
    world.call(OWNER, "DescribeImageBuilders")
    world.call(OWNER, "ListExportImageTasks")
    details = [e["detail"] for e in world.events]
    assert [d["eventName"] for d in details] == [
        "DescribeImages",
        "DescribeImagePermissions",
        "ListTagsForResource",
        "DescribeFleets",
        "DescribeImageBuilders",
        "ListExportImageTasks",
    ]
    assert {(d["readOnly"], d["eventCategory"], d["managementEvent"]) for d in details} == {
        (True, "Management", True)
    }
    assert {d["tlsDetails"]["clientProvidedHostHeader"] for d in details} == {
        f"appstream2.{REGION}.amazonaws.com"
    }


def test_failed_calls_emit_records_with_their_error(world: Harness) -> None:
    # CloudTrail records failed calls too, with errorCode and errorMessage.
    _golden(world)
    with pytest.raises(AppStreamError) as in_use:
        world.call(OWNER, "DeleteImage", Name="golden")  # shared: refused
    with pytest.raises(AppStreamError) as invalid:
        world.call(OWNER, "UpdateImagePermissions", Name="golden", SharedAccountId="1")
    refused, malformed = (e["detail"] for e in world.events)
    assert (refused["eventName"], refused["errorCode"]) == ("DeleteImage", "ResourceInUseException")
    assert refused["errorMessage"] == in_use.value.message
    assert refused["responseElements"] is None
    assert malformed["errorCode"] == "ValidationException"
    assert malformed["errorMessage"] == invalid.value.message


def test_read_only_failures_are_recorded_with_their_error(world: Harness) -> None:
    with pytest.raises(AppStreamError):
        world.call(OWNER, "DescribeImagePermissions", Name="missing")
    (detail,) = [e["detail"] for e in world.events]
    assert (detail["readOnly"], detail["errorCode"]) == (True, "ResourceNotFoundException")


def test_assumed_role_identity(world: Harness) -> None:
    from govbot_sandbox.emulator.contract import CallContext

    _golden(world)
    ctx = CallContext(
        account_id=OWNER,
        region=REGION,
        principal_type="AssumedRole",
        principal_arn=f"arn:aws:sts::{OWNER}:assumed-role/govbot-remediation/enforcer",
    )
    world.backend.dispatch(
        "DeleteImagePermissions", {"Name": "golden", "SharedAccountId": CONSUMER}, ctx
    )
    identity = world.events[0]["detail"]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"].startswith("AROA")
    assert identity["principalId"].endswith(":enforcer")


def test_sink_is_replaceable(world: Harness) -> None:
    other: list[dict[str, Any]] = []
    world.backend.event_sink = other.append
    world.call(OWNER, "DeleteImagePermissions", **_setup_delete_perm(world))
    assert (len(other), world.events) == (1, [])


def test_finish_image_build_emits_the_sample_shaped_service_event(
    world: Harness, samples_dir: Path
) -> None:
    sample = json.loads((samples_dir / "cloudtrail-CreateImage-service-event.json").read_text())
    arn = _golden(world)
    world.backend.seed_image_builder(CONSUMER, REGION, "builder", arn)
    image_arn = world.backend.finish_image_build(
        CONSUMER, REGION, "builder", "built", display_name="Built 1", description="made here"
    )
    assert image_arn == f"arn:aws:appstream:{REGION}:{CONSUMER}:image/built"
    assert len(world.events) == 1
    event = world.events[0]
    assert event["detail-type"] == "AWS Service Event via CloudTrail"
    assert (event["source"], event["account"], event["region"]) == (
        "aws.appstream",
        CONSUMER,
        REGION,
    )
    detail = event["detail"]
    # eventCategory: on every record since CloudTrail added it (the sample predates it).
    assert set(detail) == set(sample) | {"eventCategory"}
    assert detail["eventCategory"] == "Management"
    assert set(detail["serviceEventDetails"]) == set(sample["serviceEventDetails"])
    assert detail["eventType"] == "AwsServiceEvent"
    assert detail["eventName"] == "CreateImage"
    assert detail["userIdentity"] == {
        "arn": f"arn:aws:appstream:{REGION}:{CONSUMER}:image-builder/builder",
        "accountId": CONSUMER,
    }
    assert (detail["requestParameters"], detail["responseElements"]) == (None, None)
    details = detail["serviceEventDetails"]
    assert details["ImageName"] == "built"
    assert details["ImageDisPlayName"] == "Built 1"
    assert details["ImageDescription"] == "made here"
    assert details["ImageBuilderSupported"] == "True"
    assert details["ImageState"] == "PENDING"
    assert details["ImagePlatform"] == "WINDOWS"
    assert details["ImageCreatedTime"] == "Sun Mar 01 12:00:00 UTC 2026"
    assert JAVA_DATE.match(details["PublicBaseImageReleasedDate"])
    assert world.image(CONSUMER, "built")["State"] == "PENDING"
    world.clock.advance(world.backend.settings.build_duration_seconds)
    built = world.image(CONSUMER, "built")
    assert (built["State"], built["ImageBuilderName"]) == ("AVAILABLE", "builder")
