"""Remedies only take away, and one remedy per event: the pure parts, on in-memory fakes."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from govbot.domain import Permissions
from govbot.enforcer.guards import ClaimHeld, ClaimSettings, LocalGuards, await_turn
from govbot.enforcer.takeaway import remove_only, smallest_removal, wrote_after
from govbot.ledger.records.events import EventBundle, EventRecord
from tests.fakes import T0, FakeAppStream, FakeClock
from tests.unit.enforcer.builders import OUTSIDER, perms, ref

ALL = [perms(fleet=f, builder=b) for f, b in itertools.product((False, True), repeat=2)]


@pytest.mark.parametrize(("current", "allowed"), list(itertools.product(ALL, ALL)))
def test_the_smallest_removal_never_holds_what_the_share_does_not(
    current: Permissions, allowed: Permissions
) -> None:
    kept = smallest_removal(current, allowed)
    assert kept.granted() <= current.granted()
    assert kept.granted() <= allowed.granted()


def test_a_share_gone_when_re_read_is_not_written_again() -> None:
    appstream, guards = FakeAppStream(), LocalGuards(FakeClock())
    appstream.seed(ref(), {})

    removal = remove_only(appstream, guards, FakeClock(), ref(), OUTSIDER, perms(fleet=True))

    assert removal.status == "skipped"
    assert appstream.writes() == []


def test_the_remedy_keeps_only_what_is_still_held_and_allowed() -> None:
    appstream, guards = FakeAppStream(), LocalGuards(FakeClock())
    # Since the event, the owner took fleet away and kept the builder.
    appstream.seed(ref(), {OUTSIDER: perms(builder=True)})

    removal = remove_only(appstream, guards, FakeClock(), ref(), OUTSIDER, perms(fleet=True))

    # Fleet is allowed but no longer held: nothing is left, so the share is deleted.
    assert (removal.status, removal.operation) == ("succeeded", "DeleteImagePermissions")
    assert appstream.writes() == [("DeleteImagePermissions", "app-base", OUTSIDER)]


def test_an_owner_delete_stamped_during_the_write_makes_govbot_undo_its_own() -> None:
    clock = FakeClock()
    appstream, guards = FakeAppStream(), LocalGuards(clock)
    appstream.seed(ref(), {OUTSIDER: perms(fleet=True, builder=True)})
    # The owner's delete, handled by another invocation while govbot's write is in flight.
    guards.fence_owner_change(ref().arn, OUTSIDER, clock(), None, None)

    removal = remove_only(appstream, guards, clock, ref(), OUTSIDER, perms(fleet=True))

    assert removal.undone_to == Permissions()
    assert appstream.writes() == [
        ("UpdateImagePermissions", "app-base", OUTSIDER),
        ("DeleteImagePermissions", "app-base", OUTSIDER),
    ]
    assert appstream.shares(ref()) == {}


def test_an_older_owner_change_does_not_trigger_an_undo() -> None:
    clock = FakeClock()
    appstream, guards = FakeAppStream(), LocalGuards(clock)
    appstream.seed(ref(), {OUTSIDER: perms(fleet=True, builder=True)})
    guards.fence_owner_change(ref().arn, OUTSIDER, clock() - timedelta(minutes=5), True, True)

    removal = remove_only(appstream, guards, clock, ref(), OUTSIDER, perms(fleet=True))

    assert removal.undone_to is None
    assert appstream.shares(ref()) == {OUTSIDER: perms(fleet=True)}


def test_govbot_wrote_after_the_owner_within_the_clock_skew() -> None:
    assert wrote_after(T0, T0)
    assert wrote_after(T0 - timedelta(milliseconds=500), T0)  # CloudTrail's second precision
    assert not wrote_after(T0 - timedelta(seconds=5), T0)
    assert not wrote_after(None, T0)


def test_a_claim_is_exclusive_until_released_or_lapsed() -> None:
    clock = FakeClock()
    guards = LocalGuards(clock)
    assert guards.claim("ev-1", "a", lease_seconds=60)
    assert guards.claim("ev-1", "a", lease_seconds=60)  # the holder again
    assert not guards.claim("ev-1", "b", lease_seconds=60)
    guards.release("ev-1", "b")  # not b's: no effect
    assert not guards.claim("ev-1", "b", lease_seconds=60)
    clock.advance(61)
    assert guards.claim("ev-1", "b", lease_seconds=60)  # a's lease lapsed


def _bundle(status: str) -> EventBundle:
    event = EventRecord(event_id="ev-1", event_name="UpdateImagePermissions", status=status)
    return EventBundle(event_id="ev-1", event=event)


def test_a_second_invocation_waits_for_the_first_then_finds_it_committed() -> None:
    guards = LocalGuards(FakeClock())
    assert guards.claim("ev-1", "first", lease_seconds=60)
    reads = iter([_bundle("received"), _bundle("processed")])

    turn = await_turn(
        guards, _bundle("received"), lambda: next(reads), "second", sleep=lambda _s: None
    )

    assert turn is None  # a duplicate: no remedy of its own


def test_a_second_invocation_hands_back_when_the_claim_outlasts_its_wait() -> None:
    guards = LocalGuards(FakeClock())
    assert guards.claim("ev-1", "first", lease_seconds=60)
    ticks = iter(range(100))

    with pytest.raises(ClaimHeld, match="handed back to SQS"):
        await_turn(
            guards,
            _bundle("received"),
            lambda: _bundle("received"),
            "second",
            ClaimSettings(wait_seconds=3),
            sleep=lambda _s: None,
            monotonic=lambda: float(next(ticks)),
        )
