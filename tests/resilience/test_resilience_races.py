"""Races with real threads (issue 18, findings 1 and 3): govbot never grants, never doubles.

The emulator's latency hook holds govbot's UpdateImagePermissions in flight while the owner
deletes the share, or while a second invocation handles the same event; the 100-trial runs
are ``make bench`` (``bench/races.py``).
"""

from __future__ import annotations

import json

import pytest

from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.races import OUTSIDER, duplicate_delivery, remedy_against_delete
from govbot_sandbox.sandbox import Sandbox

TRIALS = 3


@pytest.mark.parametrize(
    ("timing", "undone_where"),
    [("after_the_write", "undone_on_delete"), ("during_the_write", "undone_by_remedy")],
)
def test_a_late_remedy_never_leaves_the_outsider_a_share_the_owner_deleted(
    slack_sandbox: Sandbox, slack: FakeSlack, timing: str, undone_where: str
) -> None:
    report = remedy_against_delete(slack_sandbox, TRIALS, timing)  # type: ignore[arg-type]

    assert report.raced == TRIALS  # govbot's write really landed after the owner's delete
    assert report.outsider_access_left == []
    # govbot deleted what its own write re-created, once per trial, and recorded it.
    assert getattr(report, undone_where) == TRIALS
    assert report.messages_wrong == []
    assert report.dead_lettered == 0
    delivered = [json.dumps(body) for body in slack.delivered()]
    for trial in range(TRIALS):
        name = f"race-{trial:03d}"
        told = [text for text in delivered if name in text]
        assert any(f"is no longer shared with {OUTSIDER}" in text for text in told), told
        assert not any("STILL holds" in text for text in told)
        if timing == "after_the_write":
            assert any("its own late remedy had re-created" in text for text in told), told
        else:
            assert any("was removed again" in text for text in told), told


def test_one_event_delivered_twice_at_once_is_remedied_once(sandbox: Sandbox) -> None:
    report = duplicate_delivery(sandbox, 6)

    assert report.doubled == []
    assert report.unremedied == []
    assert report.orphaned_started == []
    assert report.statuses == {"processed": 6}
    # The second invocation waited for the first one's claim and found the event done, or
    # (a machine so loaded that the wait outlasted 5 s) handed its record back: never a
    # second remedy either way.
    assert sum(report.outcomes.values()) == 12
    assert set(report.outcomes) <= {"ok", "handed back", "invocation failed: BatchFailed"}
