"""Outputs use only members the botocore model has, with the model's types; the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import Shape

from govbot_sandbox.emulator.clock import ManualClock
from govbot_sandbox.emulator.validation import service_model
from tests.unit.emulator_core.conftest import CONSUMER, DEST, OWNER, REGION, Harness

PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "long": int,
    "boolean": bool,
    "timestamp": datetime,
}


def conforms(value: Any, shape: Shape, path: str) -> list[str]:
    """Every place where ``value`` strays from ``shape`` (unknown member, wrong type...)."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        problems = [f"{path}.{k}: not in model" for k in value if k not in members]
        required = shape.required_members
        problems += [f"{path}.{k}: required" for k in required if k not in value]
        for k, v in value.items():
            if k in members:
                problems += conforms(v, members[k], f"{path}.{k}")
        return problems
    if kind == "list":
        return [p for i, v in enumerate(value) for p in conforms(v, shape.member, f"{path}[{i}]")]  # type: ignore[attr-defined]
    if kind == "map":
        return [p for k, v in value.items() for p in conforms(v, shape.value, f"{path}[{k}]")]  # type: ignore[attr-defined]
    expected = PY_TYPES[kind]
    if not isinstance(value, expected):
        return [f"{path}: {type(value).__name__} is not {kind}"]
    if isinstance(value, datetime) and value.tzinfo is None:
        return [f"{path}: naive datetime"]
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        return [f"{path}: {value!r} not in enum"]
    return []


def test_every_output_matches_the_model(world: Harness) -> None:
    arn = world.backend.seed_image(
        OWNER, REGION, "golden", tags={"a": "b"}, shared_with={CONSUMER: (True, True)}
    )
    world.backend.fail_next_copies(DEST)
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (
            OWNER,
            "CopyImage",
            {"SourceImageName": "golden", "DestinationImageName": "g2", "DestinationRegion": DEST},
        ),
        (OWNER, "CreateUpdatedImage", {"existingImageName": "golden", "newImageName": "g3"}),
        (
            CONSUMER,
            "CreateFleet",
            {
                "Name": "f",
                "ImageArn": arn,
                "InstanceType": "stream.x",
                "ComputeCapacity": {"DesiredInstances": 1},
            },
        ),
        (
            CONSUMER,
            "CreateImageBuilder",
            {"Name": "ib", "ImageArn": arn, "InstanceType": "stream.x"},
        ),
        (CONSUMER, "UpdateFleet", {"Name": "f", "ComputeCapacity": {"DesiredInstances": 2}}),
        (OWNER, "DescribeImages", {}),
        (CONSUMER, "DescribeImages", {}),
        (OWNER, "DescribeImagePermissions", {"Name": "golden"}),
        (OWNER, "ListTagsForResource", {"ResourceArn": arn}),
        (CONSUMER, "DescribeFleets", {}),
        (CONSUMER, "DescribeImageBuilders", {}),
        (
            OWNER,
            "UpdateImagePermissions",
            {
                "Name": "golden",
                "SharedAccountId": "444444444444",
                "ImagePermissions": {"allowFleet": True},
            },
        ),
    ]
    model = service_model()
    for account, operation, params in calls:
        out = world.call(account, operation, **params)
        shape = model.operation_model(operation).output_shape
        assert shape is not None
        assert conforms(out, shape, operation) == [], operation
    world.clock.advance(world.backend.settings.copy_duration_seconds)
    failed = world.call(OWNER, "DescribeImages", DEST, Names=["g2"])
    describe_shape = model.operation_model("DescribeImages").output_shape
    assert describe_shape is not None
    assert conforms(failed, describe_shape, "DescribeImages") == []
    assert failed["Images"][0]["State"] == "FAILED"


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.advance(90) == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match=">= 0"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))
