"""``parse_event`` never raises, whatever it is given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govbot.events import ParsedEvent, RejectedEvent, event_names, parse_event
from tests.unit.events.builders import ACCOUNTS, REGIONS, REQUESTS, api_call

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# Keys the parser looks at, so random dicts reach deep into it rather than stopping early.
interesting_keys = st.sampled_from(
    [
        "source",
        "detail-type",
        "detail",
        "id",
        "account",
        "region",
        "time",
        "eventID",
        "eventSource",
        "eventName",
        "eventType",
        "recipientAccountId",
        "awsRegion",
        "eventTime",
        "requestParameters",
        "serviceEventDetails",
        "userIdentity",
        "arn",
        "name",
        "sharedAccountId",
        "imagePermissions",
        "allowFleet",
        "resourceArn",
        "tags",
        "tagKeys",
    ]
)
near_envelopes = st.dictionaries(interesting_keys | st.text(max_size=8), json_values, max_size=8)


def _check(payload: Any) -> None:
    result = parse_event(payload, governed_accounts=ACCOUNTS, governed_regions=REGIONS)
    assert isinstance(result, ParsedEvent | RejectedEvent)
    if isinstance(result, RejectedEvent):
        assert result.reason
        assert isinstance(result.raw, str)
        assert not result.reason.startswith("internal parser error"), result.reason


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_json_values(value: Any) -> None:
    _check(value)
    _check(json.dumps(value))


@settings(max_examples=120, deadline=None)
@given(near_envelopes)
def test_dicts_of_random_and_meaningful_keys(value: dict[str, Any]) -> None:
    _check(value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(value: bytes) -> None:
    _check(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(event_names("api_call"))),
    st.sampled_from(["source", "detail-type", "detail", "id", "account", "region"]),
    json_values,
)
def test_real_envelopes_with_one_field_replaced(name: str, key: str, value: Any) -> None:
    envelope = api_call(name)
    envelope[key] = value
    _check(envelope)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(REQUESTS)), st.text(max_size=20), json_values)
def test_request_parameters_with_random_members(name: str, key: str, value: Any) -> None:
    envelope = api_call(name)
    envelope["detail"]["requestParameters"][key] = value
    envelope["detail"]["requestParameters"]["imagePermissions"] = value
    _check(envelope)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(REQUESTS)), st.data())
def test_truncated_real_events(name: str, data: st.DataObject) -> None:
    text = json.dumps(api_call(name))
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    _check(text[:cut])
    _check(text[:cut].encode())


def test_truncated_samples_every_prefix() -> None:
    for sample in sorted(SAMPLES.glob("*.json")):
        text = sample.read_text()
        for cut in range(0, len(text), 7):
            _check(text[:cut])


def test_unserialisable_mapping_is_rejected_with_a_repr() -> None:
    weird: dict[Any, Any] = {("tuple", "key"): 1}
    result = parse_event(weird, governed_accounts=ACCOUNTS, governed_regions=REGIONS)
    assert isinstance(result, RejectedEvent)
    assert result.raw == repr(weird)
