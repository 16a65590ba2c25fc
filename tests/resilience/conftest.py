"""The resilience suite: each scenario through the sandbox's public interface and its fault
injection, judged on the final AppStream state, the ledger and the queues."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(notify=False) as sb:
        yield sb


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def waits() -> list[float]:
    """The back-off waits the handlers asked for, recorded instead of slept."""
    return []


@pytest.fixture
def slack_sandbox(slack: FakeSlack, waits: list[float]) -> Iterator[Sandbox]:
    with Sandbox(slack=slack, sleep=waits.append) as sb:
        yield sb
