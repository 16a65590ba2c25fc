"""The composition root's public seam: settings, the one boto3 Session, the clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.hooks import HierarchicalEmitter

from govbot import wiring
from govbot.config import ConfigError
from govbot.enforcer.work import verified_request
from govbot.ledger import Ledger
from govbot.wiring.actions import actions_parts
from govbot.wiring.enforcer import enforcer_parts
from govbot.wiring.notifier import notifier_parts
from govbot.wiring.replicator import replicator

ENVIRON = {
    "LEDGER_TABLE_NAME": "govbot-ledger",
    "POLICY_PARAMETER_NAME": "/govbot/policy",
    "GOVERNED_ACCOUNT_IDS": "111111111111,222222222222",
    "GOVERNED_REGIONS": "us-east-1",
    "REMEDIATION_ROLE_NAME": "govbot-remediation",
    "HUB_ACCOUNT_ID": "111111111111",
    "SLACK_SIGNING_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:s",
    "WORK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/111111111111/work",
    "WORK_SIGNING_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:w",
}
WORK_KEY = "k" * 40
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeClient:
    def __init__(self, service: str, kwargs: dict[str, Any]) -> None:
        self.service = service
        self.kwargs = kwargs
        self.sent: list[dict[str, Any]] = []
        # What govbot's retry handler hooks into (govbot.gateways.retries.install_retries).
        service_id = SimpleNamespace(hyphenize=lambda: service)
        self.meta = SimpleNamespace(
            service_model=SimpleNamespace(service_id=service_id), events=HierarchicalEmitter()
        )

    def assume_role(self, **_: Any) -> dict[str, Any]:
        return {
            "Credentials": {
                "AccessKeyId": "ASIA-SPOKE",
                "SecretAccessKey": "s",
                "SessionToken": "t",
                "Expiration": datetime(2099, 1, 1, tzinfo=UTC),
            }
        }

    def get_secret_value(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"SecretString": WORK_KEY}

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"MessageId": "m-1"}


class FakeSession:
    """Records every client made from it (what the process's one Session is asked for)."""

    def __init__(self) -> None:
        self.clients: list[FakeClient] = []

    def client(self, service: str, **kwargs: Any) -> FakeClient:
        made = FakeClient(service, kwargs)
        self.clients.append(made)
        return made

    def services(self) -> list[str]:
        return [c.service for c in self.clients]


@pytest.fixture
def session() -> Iterator[FakeSession]:
    fake = FakeSession()
    wiring.configure(environ=ENVIRON, session=fake, clock=lambda: T0)
    yield fake
    wiring.configure()


def test_every_enforcer_client_comes_from_the_one_session(session: FakeSession) -> None:
    parts = enforcer_parts()
    ledger = parts.enforcer.deps.ledger
    assert isinstance(ledger, Ledger)
    ledger.client  # noqa: B018 - made on first use
    parts.enforcer.deps.appstream.client("111111111111", "us-east-1")  # type: ignore[attr-defined]
    # A spoke account: STS and the assumed-role AppStream client, still from that Session.
    spoke = parts.enforcer.deps.appstream.client("222222222222", "us-east-1")  # type: ignore[attr-defined]

    assert session.services() == ["dynamodb", "appstream", "sts", "appstream"]
    assert spoke.kwargs["aws_access_key_id"] == "ASIA-SPOKE"
    assert wiring.session() is session


def test_parts_are_built_once_and_configure_forgets_them(session: FakeSession) -> None:
    first = enforcer_parts()
    assert enforcer_parts() is first
    assert replicator() is replicator()

    wiring.configure(environ=ENVIRON, session=session)

    assert enforcer_parts() is not first


def test_the_drift_sweep_is_built_when_first_asked_for_over_the_enforcers_gateway(
    session: FakeSession,
) -> None:
    environ = {**ENVIRON, "SWEEP_CALLS_IN_FLIGHT": "3", "SWEEP_PARALLEL_LANES": "5"}
    wiring.configure(environ=environ, session=session, clock=lambda: T0)
    parts = enforcer_parts()
    assert "sweep" not in vars(parts)  # an ordinary event never builds it

    sweep = parts.sweep

    assert parts.sweep is sweep
    assert sweep._inventory is parts.appstream is parts.enforcer.deps.appstream
    assert (sweep._settings.calls_in_flight, sweep._settings.parallel_lanes) == (3, 5)


def test_the_clock_seam_reaches_the_enforcer_the_sweep_and_the_replicator(
    session: FakeSession,
) -> None:
    parts = enforcer_parts()

    assert parts.clock() == T0
    assert parts.enforcer.deps.clock() == T0
    assert parts.enforcer.deps.ledger.now() == T0  # type: ignore[attr-defined]
    assert replicator().deps.clock() == T0


def test_settings_come_from_the_seam_and_a_missing_one_is_named(session: FakeSession) -> None:
    wiring.configure(environ={k: v for k, v in ENVIRON.items() if k != "LEDGER_TABLE_NAME"})

    with pytest.raises(ConfigError, match="environment variable LEDGER_TABLE_NAME"):
        enforcer_parts()


def test_actions_work_queue_sends_the_enforcer_envelope_through_the_session(
    session: FakeSession,
) -> None:
    parts = actions_parts()
    assert session.clients == []  # nothing is made until it is used
    assert parts.work_queue is not None

    request = {"operation": "RestorePermission", "image_arn": "arn"}
    parts.work_queue.submit(request)

    secrets, sqs = session.clients  # the signing key is read through the secrets gateway
    assert (secrets.service, sqs.service) == ("secretsmanager", "sqs")
    assert secrets.sent == [{"SecretId": ENVIRON["WORK_SIGNING_SECRET_ARN"]}]
    assert sqs.sent[0]["QueueUrl"] == ENVIRON["WORK_QUEUE_URL"]
    envelope = json.loads(sqs.sent[0]["MessageBody"])
    assert envelope["source"] == "govbot.actions"
    assert verified_request(envelope, WORK_KEY.encode(), T0) == request
    assert WORK_KEY not in sqs.sent[0]["MessageBody"]


def test_notifier_reads_the_stream_with_a_client_from_the_session(session: FakeSession) -> None:
    parts = notifier_parts()
    parts.streams.client  # noqa: B018 - made on first use

    assert session.services() == ["dynamodbstreams"]


def test_configure_forgets_the_organization_member_cache(session: FakeSession) -> None:
    from govbot.gateways import organizations

    organizations._CACHE["default"] = (0.0, frozenset({"111111111111"}))

    wiring.configure(environ=ENVIRON, session=session)

    assert organizations._CACHE == {}


def test_the_notifier_slack_timeout_is_the_deployed_one_unless_the_seam_sets_it(
    session: FakeSession,
) -> None:
    from govbot.gateways.slack import SLACK_TIMEOUT_SECONDS, RetryPolicy
    from govbot.wiring.notifier import slack_gateway

    policy = RetryPolicy(sleep=lambda _s: None)
    assert slack_gateway(policy).timeout == SLACK_TIMEOUT_SECONDS

    wiring.configure(environ=ENVIRON, session=session, slack_timeout=2)

    scaled = slack_gateway(policy)
    assert (scaled.timeout, scaled.policy) == (2, policy)
