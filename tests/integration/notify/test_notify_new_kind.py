"""Adding a Slack message kind is one module: this test module is that module, plus its tests.

``quota_warning`` is a made-up kind (an account nears its AppStream image quota). Nothing
outside this module is edited: registering its ``KindSpec`` is enough for a policy route
to name it, a producer to write it to the outbox, the notifier to parse, render and post it
(real webhook client, loopback fake Slack, moto ledger) and ``govbot policy kinds`` to list
it with the routes that receive it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from govbot.kinds import KindRegistryError, KindSpec, kind_spec, register_kind, unregister_kind
from govbot.kinds.blocks import esc, fields, section
from govbot.kinds.common import message
from govbot.kinds.spec import RenderedMessage
from govbot.ledger.records import OutboxItem
from govbot.ledger.records.payload import PayloadEnvelope
from govbot.notifier.delivery import deliver_stream_batch
from govbot.notifier.model import PayloadError, parse_payload
from govbot.policy.models import Policy
from govbot_sandbox.fake_slack import FakeSlack
from tests.integration.notify.test_notify_slack_delivery import Env
from tests.unit.cli.runner import DEMO_POLICY, run_cli
from tests.unit.notify.builders import IMAGE_ARN, OWNER, policy

# --- the new kind's module (what a contributor writes) --------------------------------


class QuotaDetails(BaseModel):
    images_used: int = 0
    images_allowed: int = 0


class QuotaWarning(PayloadEnvelope):
    message_kind: Literal["quota_warning"] = "quota_warning"
    details: QuotaDetails = Field(default_factory=QuotaDetails)


def render(p: QuotaWarning, outbox_id: str, days: int) -> RenderedMessage:
    d = p.details
    extra = fields([("Images", esc(f"{d.images_used} of {d.images_allowed}"))])
    extra.append(section(f"*Account* `{esc(p.account_id)}` is near its image quota."))
    return message(p, outbox_id, "Image quota nearly reached", "reported only", extra)


SPEC = KindSpec(
    name="quota_warning",
    payload=QuotaWarning,
    render=render,
    max_severity="high",
    label="an account nears its AppStream image quota",
)

# --- its tests ------------------------------------------------------------------------


@pytest.fixture
def registered() -> Iterator[KindSpec[QuotaWarning]]:
    spec = register_kind(SPEC)
    try:
        yield spec
    finally:
        unregister_kind(SPEC.name)


@pytest.fixture
def env() -> Iterator[Env]:
    from moto import mock_aws

    with mock_aws(), FakeSlack() as slack:
        yield Env(slack)


def _policy_with_quota_route() -> Policy:
    doc = policy().model_dump(mode="json", exclude_defaults=True)
    doc["notifications"]["routes"].append(
        {"name": "quota", "kinds": ["quota_warning"], "min_severity": "high", "webhook": "ops"}
    )
    return Policy.model_validate(doc)


def _warning(severity: str = "high") -> QuotaWarning:
    return QuotaWarning(
        severity=severity,
        image_arn=IMAGE_ARN,
        image_name="golden-web",
        region="us-east-1",
        account_id=OWNER,
        summary="47 of 50 images used",
        details=QuotaDetails(images_used=47, images_allowed=50),
    )


def test_unregistered_the_kind_is_refused_by_the_notifier_and_the_policy() -> None:
    assert kind_spec("quota_warning") is None
    with pytest.raises(PayloadError, match="'message_kind' is 'quota_warning', expected one of"):
        parse_payload({"message_kind": "quota_warning"}, outbox_id="q")
    with pytest.raises(ValidationError, match="violation_remedied"):
        _policy_with_quota_route()


def test_registered_it_is_rendered_and_posted_to_its_route(
    registered: KindSpec[QuotaWarning], env: Env
) -> None:
    env.deps.notifications = _policy_with_quota_route().notifications
    # from_payload's annotation still names the built-in kinds' union (ledger, issue 21's
    # ledger part); at run time it takes any PayloadEnvelope.
    new = OutboxItem.from_payload
    item = new(_warning(), discriminators=("quota", OWNER))  # type: ignore[arg-type]
    low = new(_warning("low"), discriminators=("quota-low", OWNER))  # type: ignore[arg-type]

    assert deliver_stream_batch(env.write([item, low]), env.deps) == {"batchItemFailures": []}

    # The ops webhook takes it through the "quota" route (the builder policy's ops route
    # names other kinds); the low one is below the route's min_severity: nobody gets it.
    (posted,) = env.slack.delivered("ops")
    assert posted["text"] == (
        "[high] Image quota nearly reached: golden-web — 47 of 50 images used"
    )
    texts = json.dumps(posted["blocks"])
    assert "*Images*\\n47 of 50" in texts
    assert f"*Account* `{OWNER}` is near its image quota." in texts
    assert env.slack.delivered("security") == []
    stored = env.ledger.get_outbox(item.outbox_id)
    assert stored is not None
    assert (stored.status, stored.message_kind) == ("delivered", "quota_warning")
    # Read back, the payload is the kind's own model.
    assert isinstance(parse_payload(stored.payload, outbox_id=stored.outbox_id), QuotaWarning)


def test_registered_it_shows_in_the_cli_table_with_its_routes(
    registered: KindSpec[QuotaWarning], tmp_path: Path
) -> None:
    result = run_cli("policy", "kinds")
    assert result.code == 0, result.err
    assert any(
        line.split()[:2] == ["quota_warning", "high"]
        and line.endswith("an account nears its AppStream image quota")
        for line in result.out.splitlines()
    )
    text = (
        Path(DEMO_POLICY)
        .read_text(encoding="utf-8")
        .replace(
            "    - name: default\n      webhook: default\n",
            "    - name: default\n      webhook: default\n      min_severity: critical\n"
            "    - name: quota\n      webhook: quota\n      kinds: [quota_warning]\n",
        )
    )
    path = tmp_path / "quota.yaml"
    path.write_text(text, encoding="utf-8")
    rows = {
        r["kind"]: r
        for r in json.loads(run_cli("policy", "kinds", "--policy", str(path), "--json").out)
    }
    assert rows["quota_warning"] == {
        "kind": "quota_warning",
        "max_severity": "high",
        "label": "an account nears its AppStream image quota",
        "routes": ["quota"],
    }
    # policy validate knows its maximum severity too: a critical-only route never gets it.
    validated = run_cli("policy", "validate", str(path))
    assert validated.code == 0, validated.err
    assert "no route delivers quota_warning" not in validated.err
    assert "no route delivers golden_copy_failed messages" in validated.err


def test_registering_twice_or_a_mismatched_model_is_refused(
    registered: KindSpec[QuotaWarning],
) -> None:
    assert register_kind(SPEC) is SPEC  # the same spec again: a no-op
    with pytest.raises(KindRegistryError, match="already registered"):
        register_kind(KindSpec("quota_warning", QuotaWarning, render, "low", "other"))
    with pytest.raises(KindRegistryError, match='message_kind: Literal\\["quota_alert"\\]'):
        register_kind(KindSpec("quota_alert", QuotaWarning, render, "high", "x"))
    with pytest.raises(KindRegistryError, match="not a snake_case name"):
        register_kind(KindSpec("Quota Warning", QuotaWarning, render, "high", "x"))
    with pytest.raises(KindRegistryError, match="unknown max_severity"):
        register_kind(KindSpec("quota_warning", QuotaWarning, render, "urgent", "x"))  # type: ignore[arg-type]
