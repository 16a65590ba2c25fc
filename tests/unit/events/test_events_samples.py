"""The two CloudTrail records AWS publishes, as EventBridge delivers them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from govbot.events import (
    CreateImageServiceDetails,
    IgnoredEvent,
    ParsedEvent,
    envelope_for,
    parse_event,
)

SAMPLE_ACCOUNT = frozenset({"123456789012"})
SAMPLE_REGION = frozenset({"us-east-1"})


def _sample(samples_dir: Path, name: str) -> dict:
    return envelope_for(json.loads((samples_dir / name).read_text()), envelope_id="env-1")


def test_associate_fleet_sample_is_ignored_as_not_governed(samples_dir: Path) -> None:
    result = parse_event(
        _sample(samples_dir, "cloudtrail-AssociateFleet.json"),
        governed_accounts=SAMPLE_ACCOUNT,
        governed_regions=SAMPLE_REGION,
    )
    assert isinstance(result, IgnoredEvent)
    assert "'AssociateFleet' is not an operation govbot governs" in result.reason
    assert (result.event_name, result.event_source) == ("AssociateFleet", "appstream.amazonaws.com")
    assert (result.account_id, result.region) == ("123456789012", "us-east-1")
    assert result.event_id == "a6fbde60-a55a-46fe-87d4-89ead558dffd"
    assert json.loads(result.raw)["detail"]["eventName"] == "AssociateFleet"


def test_create_image_service_event_sample_parses(samples_dir: Path) -> None:
    result = parse_event(
        _sample(samples_dir, "cloudtrail-CreateImage-service-event.json"),
        governed_accounts=SAMPLE_ACCOUNT,
        governed_regions=SAMPLE_REGION,
    )
    assert isinstance(result, ParsedEvent)
    assert result.event_type == "service_event"
    assert result.event_name == "CreateImage"
    assert result.event_id == "12b2d6e2-c9a9-402e-8886-2c388d3df610"
    assert result.envelope_id == "env-1"
    assert result.image_name == "ExampleImage1"
    assert result.image_arn == "arn:aws:appstream:us-east-1:123456789012:image/ExampleImage1"
    assert result.image_state == "PENDING"
    # The sample's ARN has a space after the region: it must be gone.
    assert result.actor_arn == (
        "arn:aws:appstream:us-east-1:123456789012:image-builder/ExampleImageBuilder"
    )
    assert result.event_time == datetime(2019, 3, 21, 22, 32, 5, tzinfo=UTC)
    assert not result.failed
    details = result.params
    assert isinstance(details, CreateImageServiceDetails)
    assert details.operation == "CreateImage"
    assert details.image_display_name == "Example Image 1"  # from "ImageDisPlayName"
    assert details.image_builder_supported is True  # from "True"
    assert details.image_created_time == datetime(2019, 3, 21, 22, 32, 5, tzinfo=UTC)
    assert details.public_base_image_released_date == datetime(2019, 1, 15, 22, 19, 56, tzinfo=UTC)


def test_sample_raw_text_is_kept_verbatim_when_given_as_bytes(samples_dir: Path) -> None:
    text = json.dumps(_sample(samples_dir, "cloudtrail-CreateImage-service-event.json"))
    result = parse_event(
        text.encode(), governed_accounts=SAMPLE_ACCOUNT, governed_regions=SAMPLE_REGION
    )
    assert isinstance(result, ParsedEvent)
    assert result.raw == text
