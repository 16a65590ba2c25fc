"""The notifier killed at every step, Slack slow or silent, the ledger failing: every
message delivered, at most one duplicate per message, and each duplicate marked in the
message and counted in the ledger (issue 18, finding 4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govbot.gateways.slack import SLACK_TIMEOUT_SECONDS
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.notifier_chaos import (
    NotifierKills,
    StreamService,
    When,
    chaos_policy,
    slack_tally,
    write_messages,
)
from govbot_sandbox.sandbox import Sandbox

WHENS: tuple[When, ...] = ("before", "after")
OLD_SLACK_TIMEOUT_SECONDS = 5
# A slow Slack answers at this share of the post's timeout: 6 s of the deployed 30 s.
SLOW_ANSWER_SHARE = 0.2
SCALED_SLACK_TIMEOUT_SECONDS = 1  # the sandbox's, so the slow answer takes 0.2 s


@pytest.fixture
def slack_timeout() -> int | None:
    """The sandbox's Slack timeout (None: the deployed 30 s)."""
    return None


@pytest.fixture
def chaos(
    slack: FakeSlack, waits: list[float], slack_timeout: int | None
) -> Iterator[tuple[Sandbox, NotifierKills]]:
    with Sandbox(
        slack=slack,
        clock=ManualClock(),
        notify=False,
        sleep=waits.append,
        slack_timeout=slack_timeout,
    ) as sandbox:
        sandbox.put_policy(chaos_policy())
        kills = NotifierKills(sandbox)
        yield sandbox, kills
        kills.uninstall()


def _assert_exactly_once_or_marked(sandbox: Sandbox, slack: FakeSlack, ids: list[str]) -> None:
    tally = slack_tally(sandbox, slack, ids)
    assert tally.statuses == {"delivered": len(ids)}, tally
    assert tally.delivered == len(ids), tally.posts
    assert tally.over_one_duplicate == [], tally.posts
    assert tally.unrecorded_duplicates == [], (tally.posts, tally.marked)


def test_killed_at_each_step_of_a_delivery_the_message_still_arrives(
    chaos: tuple[Sandbox, NotifierKills], slack: FakeSlack
) -> None:
    sandbox, kills = chaos
    service = StreamService(sandbox)
    # A calm delivery first: how many ledger calls one delivery makes.
    calm = write_messages(sandbox, 1, prefix="calm")
    before = kills.calls
    service.run(calm)
    steps = kills.calls - before
    assert steps >= 6  # read, claim, receipt, slot, marker, receipt, status at least
    ids: list[str] = []
    for step in range(steps):
        for when in WHENS:
            [oid] = write_messages(sandbox, 1, prefix=f"kill-{step}-{when}")
            kills.at(step, when)
            service.run([oid])
            ids.append(oid)
    assert len(kills.fired) == 2 * steps  # every planned death happened
    _assert_exactly_once_or_marked(sandbox, slack, calm + ids)
    # A death between the post and its receipt is the one case Slack may get it twice.
    assert slack_tally(sandbox, slack, ids).duplicated, "no step fell between post and receipt"


def test_a_post_whose_answer_never_comes_is_reposted_once_marked(
    chaos: tuple[Sandbox, NotifierKills], slack: FakeSlack
) -> None:
    sandbox, _ = chaos
    ids = write_messages(sandbox, 3, prefix="silent")
    slack.post_without_answer(ids[0], ids[2])
    StreamService(sandbox).run(ids)
    tally = slack_tally(sandbox, slack, ids)
    assert tally.posts == {ids[0]: 2, ids[1]: 1, ids[2]: 2}
    assert tally.marked == {ids[0]: 1, ids[2]: 1}
    assert tally.recorded_duplicates == {ids[0]: 1, ids[1]: 0, ids[2]: 1}
    _assert_exactly_once_or_marked(sandbox, slack, ids)


def test_a_slow_answer_at_the_deployed_timeout_is_past_the_old_one() -> None:
    # What the scaled test below stands for (test_notify_slack_outcomes pins the 30 s).
    assert SLOW_ANSWER_SHARE * SLACK_TIMEOUT_SECONDS > OLD_SLACK_TIMEOUT_SECONDS
    assert SLOW_ANSWER_SHARE * SCALED_SLACK_TIMEOUT_SECONDS < SCALED_SLACK_TIMEOUT_SECONDS


@pytest.mark.parametrize("slack_timeout", [SCALED_SLACK_TIMEOUT_SECONDS])
def test_slack_slower_than_the_old_five_second_timeout_gets_one_post(
    chaos: tuple[Sandbox, NotifierKills], slack: FakeSlack, slack_timeout: int
) -> None:
    sandbox, _ = chaos
    ids = write_messages(sandbox, 1, prefix="slow")
    # Scaled: 6 s of the deployed 30 s timeout, here 0.2 s of the sandbox's 1 s.
    slack.slow_down(SLOW_ANSWER_SHARE * slack_timeout)
    StreamService(sandbox).run(ids)
    assert slack_tally(sandbox, slack, ids).posts == {ids[0]: 1}
    _assert_exactly_once_or_marked(sandbox, slack, ids)


def test_a_ledger_failure_after_a_post_never_posts_it_again(
    chaos: tuple[Sandbox, NotifierKills], slack: FakeSlack
) -> None:
    sandbox, _ = chaos
    ids = write_messages(sandbox, 2, prefix="receipt")
    # Every receipt write fails for a while (more than one call retries), and so does the
    # status write after it.
    sandbox.dynamodb_faults.set("PutItem", error_code="InternalServerError", error_next=8)
    sandbox.dynamodb_faults.set("UpdateItem", transient_rate=0.5)
    StreamService(sandbox).run(ids)
    sandbox.dynamodb_faults.set("UpdateItem", transient_rate=0.0)
    tally = slack_tally(sandbox, slack, ids)
    assert tally.posts == {ids[0]: 1, ids[1]: 1}
    _assert_exactly_once_or_marked(sandbox, slack, ids)


def test_twenty_messages_under_kills_silence_and_thirty_percent_ledger_faults(
    chaos: tuple[Sandbox, NotifierKills], slack: FakeSlack
) -> None:
    sandbox, kills = chaos
    ids = write_messages(sandbox, 20, prefix="storm")  # bench/notifier.py runs 50
    slack.post_without_answer(*ids[::5])  # 4 posts whose answer is lost
    sandbox.dynamodb_faults.set("*", transient_rate=0.3)
    kills.at_random(0.02, seed=18)
    service = StreamService(sandbox)
    service.run(ids, max_rounds=60)
    kills.at_random(0.0)
    sandbox.dynamodb_faults.set("*", transient_rate=0.0)
    assert kills.fired
    assert service.crashes >= len(kills.fired) // 2
    _assert_exactly_once_or_marked(sandbox, slack, ids)
