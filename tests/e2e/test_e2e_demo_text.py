"""``make demo`` tells the story right (issue 22): each chapter's Slack messages under that
chapter, one rejection for one broken event, honest wording of what was left and how a
rule applied; and events of accounts govbot does not govern never reach the hub."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest

from govbot_sandbox import demo
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

# Its tests share a module-scoped fixture: one worker sets it up once (see tests/conftest.py).
pytestmark = pytest.mark.xdist_group("e2e-demo-text")

UNGOVERNED = "222222222222"


@pytest.fixture(scope="module")
def chapters() -> dict[int, str]:
    """The demo's output, cut into its numbered chapters."""
    out = io.StringIO()
    assert demo.main(out) == 0
    parts = re.split(r"^== (\d+)\. ", out.getvalue(), flags=re.MULTILINE)
    return {int(number): text for number, text in zip(parts[1::2], parts[2::2], strict=True)}


def test_chapter_three_slack_message_is_told_in_chapter_three(chapters: dict[int, str]) -> None:
    assert chapters[3].startswith("Fleet access is revoked")
    assert "slack:  [medium] Fleet access removed: partner-app" in chapters[3]
    assert "partner-app" not in chapters[5]


def test_chapter_six_lists_the_one_rejection_of_its_one_broken_event(
    chapters: dict[int, str],
) -> None:
    rejected = [line for line in chapters[6].splitlines() if "ledger: event    rejected" in line]
    assert len(rejected) == 1
    assert "not valid JSON" in rejected[0]


def test_nothing_is_said_left_for_people_after_enforced_remedies(chapters: dict[int, str]) -> None:
    story = "".join(chapters.values())
    assert "0 left for people" not in story
    assert "1 remedy call(s) succeeded, 0 failed\n" in chapters[1]
    assert "1 left for people (audit mode)" in chapters[5]


def test_report_only_rule_is_not_shown_as_enforced(chapters: dict[int, str]) -> None:
    assert chapters[11].startswith("Shared with me")
    assert "trusted-image-owners: violation (report-only)" in chapters[11]
    assert "violation (enforce)" not in chapters[11]
    assert "1 left for people (report-only rule)" in chapters[11]


def test_no_event_rejected_noise_from_ungoverned_accounts(chapters: dict[int, str]) -> None:
    story = "".join(chapters.values())
    assert f"({UNGOVERNED} in us-east-1)" not in story
    assert "is not governed" not in story


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def test_ungoverned_account_events_are_not_forwarded_to_the_hub(sandbox: Sandbox) -> None:
    image = sandbox.emulator.backend.seed_image(
        HUB_ACCOUNT, "us-east-1", "shared-app", shared_with={UNGOVERNED: (True, False)}
    )
    sandbox.appstream("us-east-1", user="dave", account=UNGOVERNED).create_fleet(
        Name="dave-fleet",
        ImageArn=image,
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 1},
    )
    report = sandbox.drain()
    assert sandbox.emulator.events.named("CreateFleet")  # CloudTrail did record it
    assert report.records == 0
    assert sandbox.ledger.events_by_status("rejected") == []
    assert sandbox.outbox_stream_records() == []
