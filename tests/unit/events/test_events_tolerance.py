"""Where reality varies, the parser bends: casing, nulls, strings for booleans, spaces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govbot import routing
from govbot.domain import Permissions
from govbot.events import (
    CopyImageParams,
    CreateImageServiceDetails,
    ParsedEvent,
    UpdateImagePermissionsParams,
    envelope_for,
    event_names,
    parse_event,
)
from tests.unit.events.builders import (
    ACCOUNT,
    ACCOUNTS,
    OTHER,
    REGION,
    REGIONS,
    api_call,
    service_event,
)


def _parse(envelope: Any) -> ParsedEvent:
    result = parse_event(envelope, governed_accounts=ACCOUNTS, governed_regions=REGIONS)
    assert isinstance(result, ParsedEvent), result
    return result


@pytest.mark.parametrize(
    "request_params",
    [
        {
            "Name": "Gold",
            "SharedAccountId": OTHER,
            "ImagePermissions": {"AllowFleet": True, "AllowImageBuilder": True},
        },
        {
            "NAME": "Gold",
            "SHAREDACCOUNTID": OTHER,
            "IMAGEPERMISSIONS": {"ALLOWFLEET": True, "allowimagebuilder": True},
        },
        {
            "name": "Gold",
            "shared_account_id": OTHER,
            "image_permissions": {"allow_fleet": True, "allow_image_builder": True},
        },
    ],
    ids=["PascalCase", "UPPER/lower", "snake_case"],
)
def test_any_key_casing_in_request_parameters(request_params: dict[str, Any]) -> None:
    event = _parse(api_call("UpdateImagePermissions", request_params))
    assert event.image_name == "Gold"
    assert event.shared_account_id == OTHER
    assert event.permissions == Permissions(allow_fleet=True, allow_image_builder=True)


def test_exact_case_key_wins_over_a_differently_cased_duplicate() -> None:
    request = {"Name": "Other", "name": "Gold", "sharedAccountId": OTHER, "imagePermissions": {}}
    assert _parse(api_call("UpdateImagePermissions", request)).image_name == "Gold"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"allowFleet": "True", "allowImageBuilder": "false"}, Permissions(allow_fleet=True)),
        (
            {"allowFleet": "FALSE", "allowImageBuilder": "true"},
            Permissions(allow_image_builder=True),
        ),
        ({"allowFleet": None, "allowImageBuilder": None}, Permissions()),
        ({}, Permissions()),
        ({"allowFleet": 1}, Permissions(allow_fleet=True)),
    ],
)
def test_string_and_null_booleans(flags: dict[str, Any], expected: Permissions) -> None:
    request = {"name": "Gold", "sharedAccountId": OTHER, "imagePermissions": flags}
    event = _parse(api_call("UpdateImagePermissions", request))
    assert event.permissions == expected


def test_service_event_details_in_any_casing() -> None:
    event = _parse(
        service_event(
            {
                "imageName": "Built1",
                "imageState": "PENDING",
                "imageDisplayName": "B",
                "imageBuilderSupported": "false",
            }
        )
    )
    assert event.image_name == "Built1"
    assert event.image_state == "PENDING"
    params = event.params
    assert isinstance(params, CreateImageServiceDetails)
    assert params.operation == "CreateImage"
    assert params.image_display_name == "B"
    assert params.image_builder_supported is False


def test_nulls_and_missing_optional_fields() -> None:
    envelope = api_call(
        "CopyImage",
        {
            "sourceImageName": "Gold",
            "destinationImageName": "Gold-copy",
            "destinationRegion": "us-west-2",
            "destinationImageDescription": None,
        },
        userAgent=None,
        userIdentity=None,
        responseElements=None,
    )
    del envelope["detail"]["sourceIPAddress"]
    event = _parse(envelope)
    assert event.actor_arn is None
    assert event.actor_account_id is None
    assert event.user_agent is None
    assert isinstance(event.params, CopyImageParams)
    assert event.params.destination_image_description is None


def test_spaces_inside_arns_are_removed() -> None:
    arn = f"arn:aws:appstream:{REGION}: {ACCOUNT}:image/ Gold"
    event = _parse(
        api_call(
            "TagResource",
            {"resourceArn": arn, "tags": {"k": "v"}},
            userIdentity={"arn": "arn:aws:sts:: 1:assumed-role/A/b"},
        )
    )
    assert event.image_arn == f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold"
    assert event.actor_arn == "arn:aws:sts::1:assumed-role/A/b"


def test_whitespace_around_names_and_account_ids_is_trimmed() -> None:
    request = {"name": " Gold ", "sharedAccountId": f" {OTHER}"}
    event = _parse(api_call("DeleteImagePermissions", request))
    assert event.image_name == "Gold"
    assert event.shared_account_id == OTHER


def test_tags_as_a_key_value_list_and_null_values() -> None:
    request = {
        "resourceArn": f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold",
        "tags": [{"Key": "a", "Value": "1"}, {"key": "b", "value": None}],
    }
    assert _parse(api_call("TagResource", request)).tags == {"a": "1", "b": ""}


def test_untag_keys_as_a_single_string() -> None:
    request = {
        "resourceArn": f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold",
        "tagKeys": "golden",
    }
    assert _parse(api_call("UntagResource", request)).tag_keys == ("golden",)


def test_failed_call_is_parsed_and_flagged() -> None:
    envelope = api_call(
        "UpdateImagePermissions",
        errorCode="ResourceNotFoundException",
        errorMessage="image not found",
    )
    event = _parse(envelope)
    assert event.failed is True
    assert event.error_code == "ResourceNotFoundException"
    assert event.error_message == "image not found"
    assert isinstance(event.params, UpdateImagePermissionsParams)


def test_envelope_fields_fill_in_for_missing_detail_fields() -> None:
    envelope = api_call("DeleteImage")
    for key in ("recipientAccountId", "awsRegion", "eventTime", "eventType"):
        del envelope["detail"][key]
    event = _parse(envelope)
    assert (event.account_id, event.region) == (ACCOUNT, REGION)
    assert event.event_time.isoformat() == "2026-11-27T16:00:00+00:00"


def test_naive_event_time_is_read_as_utc() -> None:
    event = _parse(api_call("DeleteImage", eventTime="2026-11-27T16:00:00"))
    assert event.event_time.utcoffset() is not None
    assert event.event_time.hour == 16


def test_input_as_str_bytes_and_mapping_agree() -> None:
    envelope = api_call("DeleteImage")
    text = json.dumps(envelope)
    from_text, from_bytes, from_map = (_parse(x) for x in (text, text.encode(), envelope))
    assert from_text.raw == text
    assert json.loads(from_map.raw) == envelope
    assert from_text.model_dump(exclude={"raw"}) == from_bytes.model_dump(exclude={"raw"})
    assert from_text.model_dump(exclude={"raw"}) == from_map.model_dump(exclude={"raw"})


def test_unknown_extra_fields_are_ignored() -> None:
    request = {"name": "Gold", "somethingNew": {"nested": [1, 2]}}
    envelope = api_call("DeleteImage", request, brandNewTopLevel=True)
    assert _parse(envelope).image_name == "Gold"


def test_envelope_for_wraps_a_record_like_eventbridge() -> None:
    record = api_call("DeleteImage")["detail"]
    envelope = envelope_for(record, envelope_id="abc")
    assert envelope["id"] == "abc"
    assert envelope["source"] == "aws.appstream"
    assert envelope["detail-type"] == "AWS API Call via CloudTrail"
    assert (envelope["account"], envelope["region"]) == (ACCOUNT, REGION)
    assert _parse(envelope).envelope_id == "abc"
    assert envelope_for(record)["id"] != envelope_for(record)["id"]


def test_routing_patterns_name_exactly_the_events_the_parser_accepts() -> None:
    names = {n for p in routing.enforcer_patterns() for n in p["detail"]["eventName"]}
    assert names == routing.governed_event_names() == set(event_names())
    assert "CreateImage" in names
    assert "AssociateFleet" not in names
    assert len(names) == 17
    for pattern in routing.enforcer_patterns():
        assert pattern["source"] == ["aws.appstream"]
        assert pattern["detail"]["eventSource"] == ["appstream.amazonaws.com"]


def test_shorten_keeps_both_ends_and_says_how_long() -> None:
    from govbot.events.coerce import shorten

    text = shorten("head" + "m" * 5000 + "tail", 40)
    assert len(text) <= 40
    assert text.startswith("'head")
    assert text.endswith("tail'")
    assert "(5010 chars)" in text
    assert shorten("short") == "'short'"


def test_bounded_reason_keeps_every_problem() -> None:
    from govbot.events.coerce import bounded_reason

    problems = ["a" * 3000, "the account id is bad", "b" * 2000]
    reason = bounded_reason(problems, 300)
    assert len(reason) <= 300
    assert "the account id is bad" in reason  # a short problem survives whole
    assert reason.startswith("aaa")
    assert "bbb" in reason
    assert bounded_reason(["one", "two"]) == "one; two"
