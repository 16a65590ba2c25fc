"""Fixtures for the emulator transport's integration tests (real backend, real boto3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from govbot_sandbox.emulator import AppStreamEmulator, ManualClock, mock_appstream

OWNER = "123456789012"
REGION = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def emulator() -> AppStreamEmulator:
    """A fresh emulator on a manual clock that checks every output against the model."""
    return AppStreamEmulator(clock=ManualClock(), validate_responses=True)


@pytest.fixture
def in_process(emulator: AppStreamEmulator) -> Iterator[AppStreamEmulator]:
    with mock_appstream(emulator):
        yield emulator


def appstream_client(region: str = REGION, **kwargs: Any) -> Any:
    """A boto3 AppStream client that never retries (deterministic error tests)."""
    return boto3.client("appstream", region_name=region, config=NO_RETRY, **kwargs)
