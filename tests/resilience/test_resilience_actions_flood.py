"""A forged flood on the public actions endpoint: real clicks are served, forgeries cost no
ledger write (issue 18, finding 7). Real threads, Lambda's reserved concurrency played,
the ledger answering with latency as it does on AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govbot_sandbox.actions_flood import run_flood
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import Sandbox

APPROVER = "U0DEMO0001"  # policies/demo.yaml approvers


@pytest.fixture
def actions_sandbox(slack: FakeSlack) -> Iterator[Sandbox]:
    with Sandbox(slack=slack, notify=False) as sandbox:
        yield sandbox


def test_real_clicks_are_served_through_a_forged_flood(actions_sandbox: Sandbox) -> None:
    report = run_flood(actions_sandbox, APPROVER, forgers=8, real_clicks=10, concurrency=5)

    assert report.forged_sent > 10 * report.real_clicks  # it was a flood
    assert set(report.forged_statuses) <= {401, 429}
    assert report.real_served >= 9, report
    refused = actions_sandbox.ledger.events_by_status("rejected")
    # Forgeries leave at most one sampled note (one container, one minute), never a record
    # each; the approver's clicks are all on record.
    assert [e.event_name for e in refused] in ([], ["SlackActionRefused"])
    assert all(len(e.raw or "") < 600 for e in refused)
