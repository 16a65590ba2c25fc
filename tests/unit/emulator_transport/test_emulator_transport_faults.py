"""Fault rules: forced errors, transient 5xx, throttling by rate and by token bucket."""

from __future__ import annotations

import pytest

from govbot_sandbox.emulator.faults import FaultConfig


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _codes(faults: FaultConfig, operation: str, n: int) -> list[str | None]:
    return [
        (d.error.code if d.error else None) for d in (faults.decide(operation) for _ in range(n))
    ]


def test_no_rules_means_no_faults() -> None:
    decision = FaultConfig().decide("DescribeImages")
    assert decision.latency == 0
    assert decision.error is None


def test_forced_error_for_next_n_calls_then_stops() -> None:
    faults = FaultConfig()
    faults.set(
        "DeleteImage", error_code="ResourceInUseException", error_next=2, error_message="busy"
    )
    first = faults.decide("DeleteImage").error
    assert first is not None
    assert (first.status, first.code, first.message) == (400, "ResourceInUseException", "busy")
    assert _codes(faults, "DeleteImage", 2) == ["ResourceInUseException", None]
    assert faults.count("DeleteImage", "error") == 2


def test_forced_error_always_uses_model_status() -> None:
    faults = FaultConfig()
    faults.set("DeleteImage", error_code="ResourceNotFoundException")
    decisions = [faults.decide("DeleteImage").error for _ in range(5)]
    assert all(d is not None and d.status == 404 for d in decisions)


def test_transient_next_n_gives_503_then_recovers() -> None:
    faults = FaultConfig()
    faults.set("CopyImage", transient_next=2, transient_status=503)
    assert _codes(faults, "CopyImage", 3) == ["ServiceUnavailable", "ServiceUnavailable", None]
    assert faults.count("CopyImage", "transient") == 2


def test_throttle_rate_is_reproducible_with_a_seed() -> None:
    first, second = FaultConfig(seed=42), FaultConfig(seed=42)
    for faults in (first, second):
        faults.set("DescribeImages", throttle_rate=0.5)
    a = _codes(first, "DescribeImages", 40)
    b = _codes(second, "DescribeImages", 40)
    assert a == b
    assert 0 < a.count("ThrottlingException") < 40


def test_token_bucket_throttles_past_capacity_and_refills() -> None:
    clock = FakeMonotonic()
    faults = FaultConfig(clock=clock)
    faults.set("CopyImage", bucket_capacity=2, bucket_refill_per_second=1.0)
    assert _codes(faults, "CopyImage", 3) == [None, None, "ThrottlingException"]
    clock.now += 1.0
    assert _codes(faults, "CopyImage", 2) == [None, "ThrottlingException"]
    assert faults.count("CopyImage", "throttle") == 2


def test_star_rule_applies_to_every_operation_and_latencies_add() -> None:
    faults = FaultConfig()
    faults.set("*", latency=0.25)
    faults.set("CopyImage", latency=0.5)
    assert faults.decide("CopyImage").latency == pytest.approx(0.75)
    assert faults.decide("DescribeImages").latency == pytest.approx(0.25)
    assert faults.count("DescribeImages", "latency") == 1


def test_star_bucket_is_shared_across_operations() -> None:
    faults = FaultConfig(clock=FakeMonotonic())
    faults.set("*", bucket_capacity=1)
    assert faults.decide("CopyImage").error is None
    decision = faults.decide("DescribeImages").error
    assert decision is not None
    assert decision.code == "ThrottlingException"


def test_clear_one_operation_and_everything() -> None:
    faults = FaultConfig()
    faults.set("CopyImage", error_code="LimitExceededException")
    faults.set("DeleteImage", error_code="ResourceInUseException")
    faults.clear("CopyImage")
    assert faults.decide("CopyImage").error is None
    assert faults.decide("DeleteImage").error is not None
    faults.clear()
    assert faults.decide("DeleteImage").error is None
    assert faults.count("DeleteImage", "error") == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"throttle_rate": 1.5}, "throttle_rate must be a probability"),
        ({"latency": -1}, "latency must be >= 0"),
        ({"bucket_capacity": 0}, "bucket_capacity must be > 0"),
        ({"transient_status": 502}, "transient_status must be one of"),
        ({"error_code": "not a code"}, "error_code must be an error code name"),
        ({"transient_next": -1}, "transient_next must be >= 0"),
    ],
)
def test_bad_settings_are_rejected_with_field_names(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        FaultConfig().set("CopyImage", **settings)


def test_unknown_setting_names_the_allowed_ones() -> None:
    with pytest.raises(TypeError, match="unknown setting"):
        FaultConfig().set("CopyImage", throttle=1.0)


def test_set_merges_into_existing_rule() -> None:
    faults = FaultConfig()
    faults.set("CopyImage", latency=0.5)
    rule = faults.set("CopyImage", throttle_rate=1.0)
    assert rule.latency == 0.5
    assert rule.throttle_rate == 1.0
