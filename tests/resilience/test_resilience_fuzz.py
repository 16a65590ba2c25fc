"""Hypothesis fuzzing: event parsing, the enforcer's pre-parse steps, policy loading and the
Slack actions endpoint never raise, whatever they are handed."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govbot.actions.endpoint import ActionsDeps, handle_slack_action
from govbot.enforcer.intake import handle_message
from govbot.enforcer.sweep import DriftSweep
from govbot.events import IgnoredEvent, ParsedEvent, RejectedEvent, parse_event
from govbot.gateways.secrets import StaticSecrets
from govbot.policy.errors import PolicyError
from govbot.policy.loader import parse_policy, validate_policy
from govbot_sandbox.fake_slack import function_url_event
from tests.fakes import FakeAppStream, FakeLedger
from tests.unit.enforcer.builders import OWNER, REGION, share_event
from tests.unit.enforcer_sweep import builders as sweep_fakes
from tests.unit.notify.builders import T0, outbox, policy

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECRET = "fuzz-signing-secret"
KEYS = st.sampled_from(
    [
        "source",
        "detail-type",
        "detail",
        "eventName",
        "eventID",
        "eventSource",
        "requestParameters",
        "name",
        "sharedAccountId",
        "imagePermissions",
        "userIdentity",
        "arn",
        "region",
        "account",
        "id",
        "time",
        "errorCode",
        "operation",
        "image_arn",
        "version",
        "Records",
        "user",
        "actions",
        "type",
        "value",
        "action_id",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "aws.appstream",
            "aws.events",
            "govbot.actions",
            "UpdateImagePermissions",
            "AWS API Call via CloudTrail",
            "Scheduled Event",
            "appstream.amazonaws.com",
            OWNER,
            REGION,
            "block_actions",
            f"arn:aws:appstream:{REGION}:{OWNER}:image/x",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=25,
)


def _mutated_event(data: Any) -> dict[str, Any]:
    """A real CloudTrail envelope with one part replaced by fuzz."""
    event = share_event("app-base", "999999999999", fleet=True, builder=True)
    key, value = data
    if key.startswith("detail."):
        event["detail"][key.removeprefix("detail.")] = value
    else:
        event[key] = value
    return event


MUTATIONS = st.tuples(
    st.sampled_from(
        [
            "source",
            "detail-type",
            "detail",
            "region",
            "account",
            "time",
            "detail.eventName",
            "detail.requestParameters",
            "detail.userIdentity",
            "detail.eventID",
            "detail.eventTime",
            "detail.errorCode",
            "detail.awsRegion",
        ]
    ),
    JSON,
)


@FUZZ
@given(st.one_of(JSON, MUTATIONS.map(_mutated_event)))
def test_parse_event_never_raises(data: Any) -> None:
    for body in (data, json.dumps(data)):
        result = parse_event(
            body, governed_accounts=frozenset({OWNER}), governed_regions=frozenset({REGION})
        )
        assert isinstance(result, ParsedEvent | RejectedEvent | IgnoredEvent)


@FUZZ
@given(
    st.one_of(
        JSON.map(json.dumps),
        MUTATIONS.map(_mutated_event).map(json.dumps),
        st.text(max_size=200),
        st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
        st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    )
)
def test_enforcer_message_intake_never_raises(body: str) -> None:
    appstream, ledger = FakeAppStream(), FakeLedger()
    enforcer = sweep_fakes.enforcer(appstream, ledger)
    sweep = DriftSweep(enforcer, appstream)
    outcome = handle_message(body, enforcer, lambda: sweep, now=lambda: T0)
    assert outcome["status"] in {"processed", "ignored", "rejected", "duplicate", "completed"}
    if outcome["status"] == "rejected":
        assert len(outcome["note"]) <= 1000


@FUZZ
@given(JSON)
def test_policy_loading_raises_only_policy_errors(data: Any) -> None:
    for attempt in (lambda: validate_policy(data), lambda: parse_policy(json.dumps(data))):
        # PolicyError is the one error policy loading may raise (file, field, expectation).
        with contextlib.suppress(PolicyError):
            attempt()


@FUZZ
@given(st.text(max_size=300))
def test_policy_text_raises_only_policy_errors(text: str) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy(text)


def _deps() -> tuple[ActionsDeps, FakeLedger]:
    ledger = FakeLedger(records=[outbox(1)])
    return (
        ActionsDeps(
            ledger=ledger, policy=policy(), secrets=StaticSecrets(signing=SECRET), clock=lambda: T0
        ),
        ledger,
    )


@FUZZ
@given(JSON)
def test_actions_endpoint_answers_any_signed_payload(payload: Any) -> None:
    deps, ledger = _deps()
    event = function_url_event(payload, secret=SECRET, timestamp=int(T0.timestamp()))
    response = handle_slack_action(event, deps)
    assert 200 <= response["statusCode"] < 500
    assert len(ledger.events) == 1  # recorded, accepted or refused


@FUZZ
@given(st.dictionaries(st.sampled_from(["headers", "body", "isBase64Encoded", "x"]), JSON))
def test_actions_endpoint_answers_any_request(event: dict[str, Any]) -> None:
    deps, ledger = _deps()
    response = handle_slack_action(event, deps)
    assert 400 <= response["statusCode"] < 500
    # Unsigned: refused before any I/O, counted, never a ledger write of its own (issue 18).
    assert ledger.events == {}


@pytest.mark.parametrize(
    "event",
    [
        function_url_event(
            {"type": "block_actions", "user": "U1", "actions": [{}]},
            secret=SECRET,
            timestamp=int(T0.timestamp()),
        ),
        {"headers": [["x-slack-signature", "v0=1"]], "body": ""},
        [],
    ],
    ids=["user-is-a-string", "headers-as-a-list", "event-not-an-object"],
)
def test_actions_endpoint_known_crashers_are_refused(event: Any) -> None:
    deps, ledger = _deps()
    response = handle_slack_action(event, deps)
    assert response["statusCode"] in (400, 401, 403)
    # A signed request is recorded; an unsigned one costs no ledger write (issue 18).
    signed = isinstance(event, dict) and "x-slack-signature" in (event.get("headers") or {})
    assert len(ledger.events) == (1 if signed else 0)
