"""Property: whatever a message body holds, the enforcer records it on its first delivery.

Unlike ``test_resilience_fuzz`` (in-memory ledger), the ledger here is the real gateway on
moto: text DynamoDB cannot encode (lone surrogates), dates past the retention arithmetic
and oversized fields fail there as they would deployed, so the property is meaningful.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from govbot.enforcer.intake import handle_message
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.sweep import DriftSweep
from govbot.ledger import Ledger, create_ledger_table
from tests.fakes import FakeAppStream, FakeLedger
from tests.unit.enforcer.builders import OWNER, REGION, share_event
from tests.unit.enforcer_sweep import builders as sweep_fakes

# Its tests share a module-scoped fixture: one worker sets it up once (see tests/conftest.py).
pytestmark = pytest.mark.xdist_group("resilience-untraced-fuzz")

TABLE = "govbot-fuzz"
OUTSIDER = "999999999999"
AFTER_GRANT = datetime(2026, 11, 27, 16, 5, tzinfo=UTC)  # the builders' grant + 5 minutes
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
# Any code point, lone surrogates included (hypothesis leaves them out by default).
ANY_TEXT = st.text(st.characters(codec=None, categories=None, exclude_categories=()), max_size=40)
TEXTS = st.one_of(
    ANY_TEXT,
    st.sampled_from(["\ud800", "a\udcffb", "", "   ", "9999-12-31T23:59:59Z", "0001-01-01"]),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.integers(1, 5000).map(lambda n: "x" * n),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), TEXTS)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "source",
        "id",
        "time",
        "region",
        "detail.eventID",
        "detail.eventName",
        "detail.eventTime",
        "detail.awsRegion",
        "detail.userIdentity.arn",
        "detail.userAgent",
        "detail.errorCode",
        "detail.requestParameters.name",
        "detail.requestParameters.sharedAccountId",
        "detail.requestParameters.imagePermissions",
    ]
)


def _mutated(changes: list[tuple[str, Any]]) -> dict[str, Any]:
    """A real UpdateImagePermissions envelope with some fields replaced."""
    event = share_event("app-base", OUTSIDER, fleet=True, builder=True)
    for path, value in changes:
        *parents, last = path.split(".")
        where = event
        for key in parents:
            where = where.setdefault(key, {}) if isinstance(where.get(key), dict) else where
        where[last] = value
    return event


BODIES = st.one_of(
    st.lists(st.tuples(FIELDS, JSON), min_size=1, max_size=3).map(_mutated).map(json.dumps),
    JSON.map(json.dumps),
    st.fixed_dictionaries(
        {
            "source": st.just("govbot.actions"),
            "detail": st.dictionaries(
                st.sampled_from(["operation", "image_arn", "account_id", "requested_by"]),
                SCALARS,
            ),
        }
    ).map(json.dumps),
)


@pytest.fixture(scope="module")
def enforcer() -> Iterator[Enforcer]:
    with mock_aws():
        client = boto3.session.Session(region_name=REGION).client("dynamodb")
        create_ledger_table(client, TABLE)
        ledger = Ledger(TABLE, client=client, clock=lambda: AFTER_GRANT)
        appstream = FakeAppStream()
        sweep_fakes.seed(appstream, OWNER, REGION, "app-base", shares={OUTSIDER: (True, True)})
        on_fakes = sweep_fakes.enforcer(appstream, FakeLedger())
        yield Enforcer(replace(on_fakes.deps, ledger=ledger, clock=lambda: AFTER_GRANT))


@PROPERTY
@given(BODIES)
def test_every_body_is_recorded_on_its_first_delivery(enforcer: Enforcer, body: str) -> None:
    sweep = DriftSweep(enforcer, enforcer.deps.appstream)  # type: ignore[arg-type]
    outcome = handle_message(body, enforcer, lambda: sweep, now=enforcer.deps.clock)

    assert outcome["status"] in {"processed", "ignored", "rejected", "duplicate"}
    recorded = enforcer.deps.ledger.get_event(outcome["event_id"])
    assert recorded.exists, f"{outcome} left no ledger record"
