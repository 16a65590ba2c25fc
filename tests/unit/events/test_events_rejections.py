"""Every rejection says which field, what was expected and what was found; raw is kept."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govbot.events import IgnoredEvent, RejectedEvent, parse_event
from tests.unit.events.builders import (
    ACCOUNT,
    ACCOUNTS,
    OTHER,
    REGION,
    REGIONS,
    api_call,
    service_event,
)


def _reject(
    envelope: Any, accounts: frozenset[str] = ACCOUNTS, regions: frozenset[str] = REGIONS
) -> RejectedEvent:
    result = parse_event(envelope, governed_accounts=accounts, governed_regions=regions)
    assert isinstance(result, RejectedEvent), result
    return result


def _with(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    envelope.update(changes)
    return envelope


def test_not_json() -> None:
    rejected = _reject('{"source": "aws.appstream",')
    assert rejected.reason.startswith("input is not valid JSON")
    assert rejected.raw == '{"source": "aws.appstream",'
    assert rejected.event_id is None


def test_bytes_that_are_not_utf8_keep_a_repr() -> None:
    rejected = _reject(b"\xff\xfe{")
    assert "not valid JSON" in rejected.reason
    assert rejected.raw == repr(b"\xff\xfe{")


@pytest.mark.parametrize(
    ("payload", "found"), [("[1, 2]", "list"), ("42", "int"), ("null", "NoneType"), ('"x"', "str")]
)
def test_not_an_object(payload: str, found: str) -> None:
    rejected = _reject(payload)
    assert rejected.reason == (f"expected a JSON object (an EventBridge envelope), found {found}")


# (mutation of a good envelope, expected substring of the reason)
ENVELOPE_CASES: dict[str, tuple[Any, str]] = {
    "source": (
        lambda e: _with(e, source="aws.ec2"),
        "envelope field 'source' must be 'aws.appstream', found 'aws.ec2'",
    ),
    "source missing": (
        lambda e: e.pop("source") and e,
        "envelope field 'source' must be 'aws.appstream', found None",
    ),
    "detail-type": (
        lambda e: _with(e, **{"detail-type": "AppStream Fleet State Change"}),
        "envelope field 'detail-type' must be one of",
    ),
    "id": (lambda e: e.pop("id") and e, "envelope field 'id' is missing or empty"),
    "detail": (
        lambda e: _with(e, detail="oops"),
        "envelope field 'detail' must be an object, found str",
    ),
}


@pytest.mark.parametrize("case", sorted(ENVELOPE_CASES))
def test_envelope_rejections(case: str) -> None:
    mutate, expected = ENVELOPE_CASES[case]
    rejected = _reject(mutate(api_call("DeleteImage")))
    assert expected in rejected.reason
    assert json.loads(rejected.raw)  # the original input is kept


def _detail(**changes: Any) -> dict[str, Any]:
    envelope = api_call("DeleteImage")
    for key, value in changes.items():
        if value is ...:
            del envelope["detail"][key]
        else:
            envelope["detail"][key] = value
    return envelope


DETAIL_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "eventID missing": ({"eventID": ...}, "detail.eventID is missing"),
    "eventSource": (
        {"eventSource": "ec2.amazonaws.com"},
        "detail.eventSource must be 'appstream.amazonaws.com', found 'ec2.amazonaws.com'",
    ),
    "eventType": (
        {"eventType": "AwsServiceEvent"},
        "detail.eventType must be 'AwsApiCall' for detail-type "
        "'AWS API Call via CloudTrail', found 'AwsServiceEvent'",
    ),
    "not governed, with another problem": (
        {"eventName": "CreateStack", "eventTime": "yesterday"},
        "detail.eventName 'CreateStack' is not a governed",
    ),
    "account format": ({"recipientAccountId": "1234"}, "does not match envelope field 'account'"),
    "account mismatch": (
        {"recipientAccountId": OTHER},
        f"detail.recipientAccountId '{OTHER}' does not match envelope field 'account' '{ACCOUNT}'",
    ),
    "region mismatch": (
        {"awsRegion": "us-east-1"},
        "detail.awsRegion 'us-east-1' does not match envelope field 'region'",
    ),
    "eventTime garbled": (
        {"eventTime": "yesterday"},
        "detail.eventTime: expected an ISO-8601 date",
    ),
    "account not a string": (
        {"recipientAccountId": 111122223333},
        "detail.recipientAccountId must be a string, found int",
    ),
    "actor arn not a string": (
        {"userIdentity": {"arn": 5}},
        "detail.userIdentity.arn: expected an ARN string, found int",
    ),
}


@pytest.mark.parametrize("case", sorted(DETAIL_CASES))
def test_detail_rejections(case: str) -> None:
    changes, expected = DETAIL_CASES[case]
    rejected = _reject(_detail(**changes))
    assert expected in rejected.reason
    if "eventID" not in changes:
        assert rejected.event_id == "ev-DeleteImage"


def test_account_must_be_12_digits() -> None:
    envelope = _detail(recipientAccountId="1234")
    envelope["account"] = "1234"
    assert _reject(envelope).reason == (
        "detail.recipientAccountId must be a 12-digit account id, found '1234'"
    )


def test_account_not_governed_names_the_governed_ones() -> None:
    rejected = _reject(api_call("DeleteImage"), accounts=frozenset({OTHER}))
    assert rejected.reason == (f"account {ACCOUNT} is not governed (governed accounts: {OTHER})")


def test_an_empty_governed_set_governs_nothing() -> None:
    assert (
        "governed accounts: none" in _reject(api_call("DeleteImage"), accounts=frozenset()).reason
    )
    assert "governed regions: none" in _reject(api_call("DeleteImage"), regions=frozenset()).reason


def test_region_not_governed() -> None:
    rejected = _reject(api_call("DeleteImage"), regions=frozenset({"us-east-1"}))
    assert rejected.reason == f"region {REGION} is not governed (governed regions: us-east-1)"


def test_missing_event_time_everywhere() -> None:
    envelope = _detail(eventTime=...)
    del envelope["time"]
    assert _reject(envelope).reason == "detail.eventTime (or envelope 'time') is missing"


def _ignored(envelope: Any) -> IgnoredEvent:
    result = parse_event(envelope, governed_accounts=ACCOUNTS, governed_regions=REGIONS)
    assert isinstance(result, IgnoredEvent), result
    return result


def test_create_image_as_an_api_call_is_ignored_as_not_governed() -> None:
    ignored = _ignored(api_call("CreateImage", {"name": "x"}))
    assert "'CreateImage' is not an operation govbot governs" in ignored.reason
    assert "AWS API Call via CloudTrail" in ignored.reason
    assert (ignored.event_name, ignored.account_id, ignored.region) == (
        "CreateImage",
        ACCOUNT,
        REGION,
    )


def test_service_event_other_than_create_image_is_ignored() -> None:
    envelope = service_event()
    envelope["detail"]["eventName"] = "DeleteImage"
    ignored = _ignored(envelope)
    assert "'DeleteImage' is not an operation govbot governs" in ignored.reason


def test_an_ungoverned_operation_with_problems_is_rejected_with_all_of_them() -> None:
    envelope = api_call("CreateStack", {"name": "x"})
    envelope["detail"]["recipientAccountId"] = envelope["account"] = "12ab"
    rejected = _reject(envelope)
    assert "'CreateStack' is not a governed" in rejected.problems[0]
    assert "detail.recipientAccountId must be a 12-digit account id, found '12ab'" in (
        rejected.reason
    )


def test_every_problem_is_listed_within_a_bounded_reason() -> None:
    huge = "x" * 5000
    envelope = api_call(
        "UpdateImagePermissions",
        {
            "name": huge + "!",
            "sharedAccountId": "12",
            "imagePermissions": {"allowFleet": "maybe", "allowImageBuilder": True},
        },
    )
    envelope["detail"]["recipientAccountId"] = envelope["account"] = "not-an-account"
    rejected = _reject(envelope)
    assert len(rejected.reason) <= 400
    assert len(rejected.problems) == 4
    assert "recipientAccountId must be a 12-digit account id" in rejected.reason
    assert "requestParameters.name" in rejected.reason
    assert "(5003 chars)" in rejected.reason  # the long value, shortened in the middle
    assert "requestParameters.sharedAccountId" in rejected.reason
    assert "allowFleet" in rejected.reason
    # The context of the event is kept, even though the event is rejected.
    assert rejected.event_name == "UpdateImagePermissions"
    assert rejected.event_source == "appstream.amazonaws.com"
    assert rejected.account_id == "not-an-account"
    assert rejected.region == REGION
    assert huge in rejected.raw  # the input itself is kept whole


def test_a_long_event_name_is_kept_shortened_in_the_context() -> None:
    envelope = api_call("DeleteImage")
    envelope["detail"]["eventName"] = "Delete" + "e" * 3000
    envelope["detail"]["eventTime"] = "yesterday"
    rejected = _reject(envelope)
    assert rejected.event_name is not None
    assert len(rejected.event_name) <= 128
    assert len(rejected.reason) <= 400
    assert "detail.eventTime" in rejected.reason


PARAM_CASES: dict[str, tuple[str, Any, str]] = {
    "sharedAccountId missing": (
        "UpdateImagePermissions",
        {"name": "Gold", "imagePermissions": {"allowFleet": True}},
        "UpdateImagePermissions: requestParameters.sharedAccountId is required but missing",
    ),
    "sharedAccountId short": (
        "DeleteImagePermissions",
        {"name": "Gold", "sharedAccountId": "12345"},
        "DeleteImagePermissions: requestParameters.sharedAccountId: expected a 12-digit AWS "
        "account id, found '12345'",
    ),
    "imagePermissions missing": (
        "UpdateImagePermissions",
        {"name": "Gold", "sharedAccountId": OTHER},
        "requestParameters.imagePermissions is required but missing",
    ),
    "imagePermissions not an object": (
        "UpdateImagePermissions",
        {"name": "Gold", "sharedAccountId": OTHER, "imagePermissions": "all"},
        "requestParameters.imagePermissions must be an object, found str",
    ),
    "garbled boolean": (
        "UpdateImagePermissions",
        {"name": "Gold", "sharedAccountId": OTHER, "imagePermissions": {"allowFleet": "maybe"}},
        "requestParameters.imagePermissions.allowFleet: expected a boolean or "
        "'true'/'false', found 'maybe'",
    ),
    "bad image name": (
        "DeleteImage",
        {"name": "Gold/../x"},
        "DeleteImage: requestParameters.name: expected an image name matching",
    ),
    "requestParameters null": (
        "DeleteImage",
        None,
        "DeleteImage: requestParameters.name is required but missing",
    ),
    "requestParameters not an object": (
        "DeleteImage",
        ["Gold"],
        "requestParameters must be an object, found list",
    ),
    "destinationRegion": (
        "CopyImage",
        {"sourceImageName": "Gold", "destinationImageName": "C", "destinationRegion": "mars"},
        "requestParameters.destinationRegion: expected an AWS region such as 'us-east-1', "
        "found 'mars'",
    ),
    "resourceArn not an ARN": (
        "TagResource",
        {"resourceArn": "Gold", "tags": {}},
        "requestParameters.resourceArn: expected an ARN starting with 'arn:', found 'Gold'",
    ),
    "several at once": (
        "CopyImage",
        {},
        "requestParameters.sourceImageName is required but missing; "
        "requestParameters.destinationImageName is required but missing",
    ),
}


@pytest.mark.parametrize("case", sorted(PARAM_CASES))
def test_parameter_rejections(case: str) -> None:
    event_name, request, expected = PARAM_CASES[case]
    envelope = api_call(event_name)
    envelope["detail"]["requestParameters"] = request
    rejected = _reject(envelope)
    assert expected in rejected.reason
    assert rejected.event_id == f"ev-{event_name}"


def test_create_image_service_event_without_image_name() -> None:
    rejected = _reject(service_event({"ImageState": "PENDING"}))
    assert rejected.reason == ("CreateImage: serviceEventDetails.ImageName is required but missing")


def test_create_image_service_event_with_null_details() -> None:
    rejected = _reject(service_event(serviceEventDetails=None))
    assert "serviceEventDetails.ImageName is required but missing" in rejected.reason
