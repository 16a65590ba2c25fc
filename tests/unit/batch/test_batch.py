"""Partial batch responses: one record's failure never touches the rest of its batch."""

from __future__ import annotations

import logging

import pytest

from govbot.batch import BatchFailed, HandBack, sqs_batch


def _event(*bodies: str) -> dict[str, object]:
    return {"Records": [{"messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]}


def _handler(body: str) -> None:
    if body == "crash":
        raise RuntimeError("boom")
    if body == "later":
        raise HandBack("ThrottlingException: Rate exceeded")


def test_failed_records_are_reported_and_the_rest_of_the_batch_goes_on() -> None:
    handled: list[str] = []

    def handle(body: str) -> None:
        _handler(body)
        handled.append(body)

    response = sqs_batch(_event("ok", "crash", "later", "ok2"), handle)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    assert handled == ["ok", "ok2"]


def test_a_hand_back_is_one_warning_line_and_a_crash_keeps_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="govbot.batch"):
        sqs_batch(_event("later", "crash", "ok"), _handler)

    hand_back, crash = caplog.records
    assert hand_back.levelno == logging.WARNING
    assert hand_back.exc_info is None
    assert "m0 handed back to be retried: ThrottlingException: Rate exceeded" in hand_back.message
    assert crash.levelno == logging.ERROR
    assert crash.exc_info is not None


def test_a_batch_whose_every_record_failed_fails_the_invocation() -> None:
    with pytest.raises(BatchFailed, match="all 2 records"):
        sqs_batch(_event("crash", "later"), _handler)


def test_an_event_without_records_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="expected a batch event with a 'Records' list"):
        sqs_batch({"detail": {}}, _handler)
