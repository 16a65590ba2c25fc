"""Transient 5xx from AppStream and DynamoDB, a commit lost after the remedy, process deaths."""

from __future__ import annotations

from govbot.ledger.records.events import EventBundle
from govbot_sandbox.sandbox import Sandbox
from govbot_sandbox.storm import OUTSIDER, grant_builders, image_arn


def _builder_held(sandbox: Sandbox, name: str) -> bool:
    share = sandbox.emulator.backend.world.images[image_arn(name)].shares.get(OUTSIDER)
    return bool(share and share.allow_image_builder)


def _bot_remedies(sandbox: Sandbox) -> int:
    return sum(
        1
        for e in sandbox.emulator.events.named("UpdateImagePermissions")
        if "govbot-functions" in e["detail"]["userIdentity"]["arn"]
    )


def _processed(bundle: EventBundle) -> bool:
    return bundle.event is not None and bundle.event.status == "processed"


def test_appstream_500s_are_retried_until_remedied(sandbox: Sandbox) -> None:
    ids = grant_builders(sandbox, 3)
    # Every AppStream call fails with a 500 for a while: more than one client's retries.
    sandbox.emulator.faults.set("*", transient_next=20)

    sandbox.drain()

    assert sandbox.emulator.faults.count("DescribeImagePermissions", "transient") > 0
    assert not any(_builder_held(sandbox, name) for name in ids)
    assert all(_processed(sandbox.ledger.get_event(i)) for i in ids.values())
    assert _bot_remedies(sandbox) == 3
    assert sandbox.dead_letters() == []


def test_dynamodb_500s_are_retried(sandbox: Sandbox) -> None:
    ids = grant_builders(sandbox, 2)
    sandbox.dynamodb_faults.set("*", transient_next=4)

    sandbox.drain()

    assert (
        sandbox.dynamodb_faults.count("Query", "transient")
        + sandbox.dynamodb_faults.count("PutItem", "transient")
        > 0
    )
    assert not any(_builder_held(sandbox, name) for name in ids)
    assert all(_processed(sandbox.ledger.get_event(i)) for i in ids.values())
    assert _bot_remedies(sandbox) == 2


def test_commit_failing_after_the_remedy_is_confirmed_not_redone(sandbox: Sandbox) -> None:
    (event_id,) = grant_builders(sandbox, 1).values()
    # The remedy succeeds; the ledger commit that follows fails with a 500, three times
    # (one client call each: a forced error code is not retried by the client).
    sandbox.dynamodb_faults.set(
        "TransactWriteItems", error_code="InternalServerError", error_next=3
    )

    sandbox.drain()

    assert sandbox.dynamodb_faults.count("TransactWriteItems", "error") == 3
    bundle = sandbox.ledger.get_event(event_id)
    assert _processed(bundle)
    assert _bot_remedies(sandbox) == 1  # confirmed on retry, never called twice
    (action,) = bundle.actions
    assert action.status == "succeeded"
    assert action.request["note"] == "confirmed on retry"
    assert not _builder_held(sandbox, "storm-000")


def test_process_dying_between_intent_and_call(sandbox: Sandbox) -> None:
    (event_id,) = grant_builders(sandbox, 1).values()
    sandbox.crashes.next_call("UpdateImagePermissions", "before")

    sandbox.drain()

    assert sandbox.crashes.fired == [("UpdateImagePermissions", "before")]
    bundle = sandbox.ledger.get_event(event_id)
    assert _processed(bundle)
    # The intent the crash left is closed as interrupted; the retry remedied once.
    assert [a.status for a in bundle.actions] == ["failed", "succeeded"]
    assert _bot_remedies(sandbox) == 1
    assert not _builder_held(sandbox, "storm-000")


def test_process_dying_between_call_and_commit(sandbox: Sandbox) -> None:
    (event_id,) = grant_builders(sandbox, 1).values()
    sandbox.crashes.next_call("UpdateImagePermissions", "after")

    sandbox.drain()

    assert sandbox.crashes.fired == [("UpdateImagePermissions", "after")]
    bundle = sandbox.ledger.get_event(event_id)
    assert _processed(bundle)
    (action,) = bundle.actions
    assert (action.status, action.request["note"]) == ("succeeded", "confirmed on retry")
    assert _bot_remedies(sandbox) == 1
    assert not _builder_held(sandbox, "storm-000")
