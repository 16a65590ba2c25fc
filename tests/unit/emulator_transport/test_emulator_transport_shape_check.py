"""The shape validator catches each kind of mismatch against botocore's model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from govbot_sandbox.emulator.shape_check import ShapeViolation, check_output

GOOD_IMAGE: dict[str, Any] = {
    "Name": "golden",
    "Arn": "arn:aws:appstream:us-east-1:123456789012:image/golden",
    "State": "AVAILABLE",
    "Visibility": "PRIVATE",
    "CreatedTime": datetime(2026, 1, 1, tzinfo=UTC),
    "ImagePermissions": {"allowFleet": True, "allowImageBuilder": False},
    "ImageSharedWithOthers": "FALSE",
}


def _images(**changes: Any) -> dict[str, Any]:
    image = {**GOOD_IMAGE, **changes}
    return {"Images": [{k: v for k, v in image.items() if v is not ...}]}


def test_valid_output_passes() -> None:
    check_output("DescribeImages", _images())


def test_parsed_boto3_response_metadata_is_tolerated_only_when_asked() -> None:
    data = {**_images(), "ResponseMetadata": {"HTTPStatusCode": 200}}
    check_output("DescribeImages", data, parsed=True)
    with pytest.raises(ShapeViolation, match="unknown member 'ResponseMetadata'"):
        check_output("DescribeImages", data)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Name": ...}, "missing required member 'Name'"),
        ({"State": "SHINY"}, "'SHINY' is not one of ImageState"),
        ({"Colour": "red"}, "unknown member 'Colour'"),
        ({"CreatedTime": "yesterday"}, "expected timestamp"),
        ({"CreatedTime": datetime(2026, 1, 1)}, "must be timezone-aware"),
        ({"ImagePermissions": {"allowFleet": "yes"}}, "expected boolean"),
        ({"Applications": {"not": "a list"}}, "expected list"),
        ({"Name": 7}, "expected string"),
    ],
)
def test_each_kind_of_mismatch_is_reported_with_its_path(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ShapeViolation) as info:
        check_output("DescribeImages", _images(**changes))
    assert any(
        problem in p and p.startswith("DescribeImagesResult.Images[0]") for p in info.value.problems
    ), info.value.problems


def test_maps_and_integers_are_checked() -> None:
    check_output("ListTagsForResource", {"Tags": {"team": "blue"}})
    with pytest.raises(ShapeViolation, match="expected string"):
        check_output("ListTagsForResource", {"Tags": {"team": 3}})
    with pytest.raises(ShapeViolation, match="expected integer"):
        check_output(
            "DescribeFleets",
            {
                "Fleets": [
                    {
                        "Arn": "a",
                        "Name": "f",
                        "InstanceType": "t",
                        "State": "RUNNING",
                        "ComputeCapacityStatus": {"Desired": "two"},
                    }
                ]
            },
        )


def test_unknown_operation_is_reported() -> None:
    with pytest.raises(ShapeViolation, match="no operation 'Nope'"):
        check_output("Nope", {})
