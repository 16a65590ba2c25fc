"""AWS calls per event, pinned: counted by a botocore hook on the handlers' Session.

Counts, not timings: each event kind runs through the deployed rule patterns, SQS and the
real enforcer handler on the sandbox (bench/calls.py measures the same with more events).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.calls import NO_TAGS_POLICY, measure_kinds
from govbot_sandbox.sandbox import DEMO_POLICY

# Its tests share a module-scoped fixture: one worker sets it up once (see tests/conftest.py).
pytestmark = pytest.mark.xdist_group("e2e-calls")

EVENTS = 3


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return measure_kinds(DEMO_POLICY, events=EVENTS)


@pytest.fixture(scope="module")
def no_tags() -> dict[str, Any]:
    return measure_kinds(NO_TAGS_POLICY, events=EVENTS)


def test_a_violating_event_costs_4_appstream_and_4_dynamodb_calls(demo) -> None:
    violating = demo["violating"]
    assert violating["outcomes"] == {"processed": EVENTS}
    assert violating["remedies"] == EVENTS
    assert violating["by_operation"] == {
        # the share list and the tags (a rule selects by tag), the share list re-read right
        # before the remedy (it only takes away what is still there), then the remedy
        "appstream.DescribeImagePermissions": 2.0,
        "appstream.ListTagsForResource": 1.0,
        "appstream.UpdateImagePermissions": 1.0,
        # the event's claim, the event with its intent (before the remedy), the share's
        # fence after the remedy (was the owner's change in flight?), then the one commit
        "dynamodb.PutItem": 2.0,
        "dynamodb.UpdateItem": 1.0,
        "dynamodb.TransactWriteItems": 1.0,
    }


def test_no_tag_read_when_no_rule_selects_by_tag(no_tags) -> None:
    assert no_tags["violating"]["by_operation"] == {
        "appstream.DescribeImagePermissions": 2.0,
        "appstream.UpdateImagePermissions": 1.0,
        "dynamodb.PutItem": 2.0,
        "dynamodb.UpdateItem": 1.0,
        "dynamodb.TransactWriteItems": 1.0,
    }


def test_govbots_own_echo_is_never_delivered(demo) -> None:
    violating = demo["violating"]
    assert violating["own_echo_events_emitted"] == EVENTS
    assert violating["own_echo_events_delivered"] == 0
    assert violating["records_delivered"] == EVENTS


def test_own_echo_delivered_anyway_costs_one_write(demo) -> None:
    forced = demo["own_echo_delivered_anyway"]
    assert forced["outcomes"] == {"ignored": EVENTS}
    assert forced["by_operation"] == {"dynamodb.PutItem": 1.0}


def test_a_compliant_event_costs_its_reads_and_one_write(demo) -> None:
    compliant = demo["compliant"]
    assert compliant["outcomes"] == {"processed": EVENTS}
    assert compliant["by_operation"] == {
        "appstream.DescribeImagePermissions": 1.0,
        "appstream.ListTagsForResource": 1.0,
        "dynamodb.TransactWriteItems": 1.0,
    }


def test_a_duplicate_reads_the_ledger_only_when_its_write_fails(demo) -> None:
    duplicate = demo["duplicate"]
    assert duplicate["outcomes"] == {"processed": EVENTS}  # unchanged by the redelivery
    assert duplicate["by_operation"] == {
        "appstream.DescribeImagePermissions": 1.0,
        "appstream.ListTagsForResource": 1.0,
        # the image is compliant now: the one commit of a new event, whose condition fails
        "dynamodb.TransactWriteItems": 1.0,
        "dynamodb.Query": 1.0,  # then read: final, a duplicate
    }


def test_rejected_and_ignored_events_cost_only_writes(demo) -> None:
    assert demo["rejected"]["by_service"] == {"dynamodb": 2.0}  # the record, its message
    assert demo["ignored_failed_call"]["by_operation"] == {"dynamodb.PutItem": 1.0}


def test_policy_organization_and_exemptions_are_read_once_per_container(demo) -> None:
    first = demo["first_event_of_a_container"]["by_operation"]
    assert first["ssm.GetParameter"] == 1.0
    assert first["organizations.ListAccounts"] == 1.0
    assert first["dynamodb.Query"] == 1.0  # the Slack exemptions, then cached
    for kind in ("violating", "compliant", "duplicate", "rejected"):
        services = demo[kind]["by_service"]
        assert "ssm" not in services, kind
        assert "organizations" not in services, kind
