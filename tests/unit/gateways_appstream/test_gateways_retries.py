"""Quota-free client retries: botocore's conditions, full-jitter backoff, no starvation."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Literal

import boto3
import pytest
from botocore.config import Config

from govbot.gateways.retries import RetrySettings, install_retries

if TYPE_CHECKING:
    from mypy_boto3_appstream import AppStreamClient


def _throttled(client, attempt: int):
    """What botocore emits after an attempt answered by ThrottlingException."""
    operation = client.meta.service_model.operation_model("DescribeImages")
    parsed = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}

    class Response:
        status_code = 400
        headers: dict[str, str] = {}

    return client.meta.events.emit_until_response(
        "needs-retry.appstream.DescribeImages",
        response=(Response(), parsed),
        endpoint=None,
        operation=operation,
        attempts=attempt,
        caught_exception=None,
        request_dict={"context": {}},
    )[1]


def _client(mode: Literal["legacy", "standard", "adaptive"] = "standard") -> AppStreamClient:
    return boto3.client(
        "appstream",
        region_name="us-east-1",
        config=Config(retries={"mode": mode, "total_max_attempts": 6}),
    )


def test_botocore_standard_mode_starves_under_sustained_throttling() -> None:
    client = _client()
    delays = [_throttled(client, 1) for _ in range(150)]
    # 500 tokens, 5 per retry: the 101st throttled call is no longer retried.
    assert all(d is not None for d in delays[:100])
    assert delays[100:] == [None] * 50


def test_quota_free_handler_keeps_retrying_under_sustained_throttling() -> None:
    client = _client()
    handler = install_retries(client, RetrySettings(max_attempts=6, base_seconds=0.2))
    delays = [_throttled(client, 1) for _ in range(1000)]
    assert all(d is not None for d in delays)
    assert handler.retries == 1000
    assert _throttled(client, 6) is None  # but never past max_attempts for one call


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    settings = RetrySettings(max_attempts=8, base_seconds=0.2, cap_seconds=1.0)
    rng = random.Random(3)
    samples = {n: [settings.delay(n, rng) for _ in range(400)] for n in (1, 2, 3, 6)}
    assert all(0 <= d <= 0.2 for d in samples[1])
    assert all(0 <= d <= 0.4 for d in samples[2])
    assert all(0 <= d <= 1.0 for d in samples[6])  # capped
    assert len({round(d, 6) for d in samples[3]}) > 300  # jittered, not a fixed wait
    assert max(samples[3]) > 0.6  # and the window did grow


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"max_attempts": 0}, "max_attempts"), ({"base_seconds": -1}, "backoff")],
)
def test_settings_are_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetrySettings(**kwargs)
