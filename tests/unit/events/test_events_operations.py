"""One well-formed envelope per governed operation, and the fields each one yields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from govbot.domain import ImageRef, Permissions
from govbot.events import (
    CreateImageServiceDetails,
    ParsedEvent,
    event_names,
    parse_event,
)
from tests.unit.events.builders import (
    ACCOUNT,
    ACCOUNTS,
    ACTOR,
    OTHER,
    REGION,
    REGIONS,
    REQUESTS,
    api_call,
    service_event,
)

GOLD_ARN = f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold"


def _parse(envelope: Any) -> ParsedEvent:
    result = parse_event(envelope, governed_accounts=ACCOUNTS, governed_regions=REGIONS)
    assert isinstance(result, ParsedEvent), result
    return result


def test_every_governed_api_call_has_a_sample_here() -> None:
    assert set(REQUESTS) == set(event_names("api_call"))


@pytest.mark.parametrize("event_name", sorted(REQUESTS))
def test_common_fields(event_name: str) -> None:
    event = _parse(api_call(event_name))
    assert event.event_name == event_name
    assert event.event_type == "api_call"
    assert event.event_id == f"ev-{event_name}"
    assert event.envelope_id == f"env-{event_name}"
    assert event.params is not None
    assert event.params.operation == event_name
    assert event.account_id == ACCOUNT
    assert event.region == REGION
    assert event.actor_arn == ACTOR
    assert event.actor_account_id == ACCOUNT
    assert event.user_agent == "aws-cli/2.15"
    assert event.event_time == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert event.failed is False


# event name -> expected subset of ParsedEvent fields
EXPECTED: dict[str, dict[str, Any]] = {
    "UpdateImagePermissions": {
        "image_name": "Gold",
        "image_arn": GOLD_ARN,
        "shared_account_id": OTHER,
        "permissions": Permissions(allow_fleet=True, allow_image_builder=False),
    },
    "DeleteImagePermissions": {
        "image_name": "Gold",
        "shared_account_id": OTHER,
        "permissions": None,
    },
    "CopyImage": {
        "image_name": "Gold",
        "source_image_name": "Gold",
        "destination_region": "us-west-2",
        "destination_image_name": "Gold-copy",
    },
    "DeleteImage": {"image_name": "Gold", "image_arn": GOLD_ARN},
    "CreateUpdatedImage": {
        "image_name": "Gold-v2",
        "source_image_name": "Gold",
        "tags": {"team": "euc"},
    },
    "CreateImageBuilder": {"image_name": "Gold", "image_arn": GOLD_ARN},
    "CreateFleet": {"image_name": "Gold", "image_arn": GOLD_ARN},
    "UpdateFleet": {"image_name": "Gold", "image_arn": GOLD_ARN},
    "TagResource": {"image_name": "Gold", "tags": {"golden": "true"}},
    "UntagResource": {"image_name": "Gold", "tag_keys": ("golden",)},
}


@pytest.mark.parametrize("event_name", sorted(EXPECTED))
def test_operation_specific_fields(event_name: str) -> None:
    event = _parse(api_call(event_name))
    for field, expected in EXPECTED[event_name].items():
        assert getattr(event, field) == expected, field


def test_image_ref_property() -> None:
    event = _parse(api_call("DeleteImage"))
    assert event.image_ref == ImageRef(account_id=ACCOUNT, region=REGION, name="Gold")


def test_fleet_using_a_shared_image_by_arn_keeps_the_owner_account() -> None:
    owner_arn = f"arn:aws:appstream:{REGION}:{OTHER}:image/Theirs"
    event = _parse(api_call("CreateFleet", {"name": "f", "imageArn": owner_arn}))
    assert event.image_arn == owner_arn
    assert event.image_name == "Theirs"
    assert event.image_ref is not None
    assert event.image_ref.account_id == OTHER


def test_tag_resource_on_a_fleet_names_no_image() -> None:
    fleet_arn = f"arn:aws:appstream:{REGION}:{ACCOUNT}:fleet/f1"
    event = _parse(api_call("TagResource", {"resourceArn": fleet_arn, "tags": {"a": "b"}}))
    assert event.image_name is None
    assert event.image_arn is None
    assert event.image_ref is None
    assert event.tags == {"a": "b"}


def test_update_fleet_without_image_change_names_no_image() -> None:
    event = _parse(api_call("UpdateFleet", {"name": "fleet1", "displayName": "x"}))
    assert event.image_name is None


def test_create_image_service_event() -> None:
    event = _parse(service_event())
    assert event.event_type == "service_event"
    assert event.image_name == "Built1"
    assert event.image_state == "PENDING"
    assert event.actor_arn == f"arn:aws:appstream:{REGION}:{ACCOUNT}:image-builder/builder1"
    assert isinstance(event.params, CreateImageServiceDetails)
    assert event.params.image_display_name == "Built 1"


def test_parsed_event_round_trips_through_json() -> None:
    event = _parse(api_call("UpdateImagePermissions"))
    again = ParsedEvent.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.params is not None
    assert again.params.operation == "UpdateImagePermissions"
