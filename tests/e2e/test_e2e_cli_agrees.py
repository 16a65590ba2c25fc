"""Issue 12: the CLI judges like the deployed bot.

- ``govbot simulate`` (console script, in-memory world) and the enforcer (the sandbox: moto +
  emulator + real handlers) handle the same events from the same starting world: same
  outcome, same remedies, same violations, event by event.
- ``govbot check`` (console script) against the served emulator and a served moto gives the
  verdicts the enforcer then records, with AWS Organizations members and an exemption
  granted from Slack included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from govbot.gateways.organizations import clear_cache
from govbot.ledger import ExemptionRecord
from govbot.ledger.records.events import EventBundle
from govbot_sandbox.emulator import EmulatorServer
from govbot_sandbox.sandbox import BOT_PRINCIPAL, DEMO_POLICY, HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
TRUSTED = "111111111111"
LISTED = "222222222222"
GOVBOT = Path(sys.executable).with_name("govbot")
IMAGES = {
    "app-base": {},
    "prod-web": {},
    "secret-app": {"classification": "confidential"},
    "dev-tools": {},
    "prod-demo-exempt": {},
}
# (image, grantee, allowFleet, allowImageBuilder): what people do, in order.
CALLS = [
    ("app-base", OUTSIDER, True, True),
    ("app-base", TRUSTED, True, True),
    ("prod-web", LISTED, True, False),
    ("prod-web", OUTSIDER, True, False),
    ("secret-app", TRUSTED, True, False),
    ("dev-tools", OUTSIDER, True, False),
    ("prod-demo-exempt", OUTSIDER, False, True),
    ("app-base", OUTSIDER, True, False),
]


def _govbot(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GOVBOT), *argv], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def _violations(decisions: Any) -> set[tuple[str, str, str, str]]:
    return {
        (d.rule_id, d.account_id, d.permission, d.outcome)
        for d in decisions
        if d.outcome in ("violation", "exempted")
    }


def _sandbox_outcome(bundle: EventBundle) -> str:
    """The outcome word (see docs/simulate.md) for what the sandbox's enforcer recorded."""
    assert bundle.event is not None
    if bundle.event.status != "processed":
        return "ignored"
    violations = [d for d in bundle.decisions if d.outcome == "violation"]
    if any(a.status == "failed" for a in bundle.actions) or any(
        d.mode == "audit" for d in violations
    ):
        return "violation"
    if any(a.status == "succeeded" for a in bundle.actions):
        return "remedied"
    if violations:
        return "violation"
    if any(d.outcome == "exempted" for d in bundle.decisions):
        return "exempted"
    return "compliant"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    clear_cache()  # Organizations' member list is cached per process, like the functions'
    with Sandbox() as sb:
        yield sb
    clear_cache()


def test_simulate_matches_the_enforcer_event_by_event(sandbox: Sandbox, tmp_path: Path) -> None:
    for name, tags in IMAGES.items():
        sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, name, tags=tags)
    world = {
        "accounts": [HUB_ACCOUNT],
        "regions": list(sandbox.regions),
        "bot_principals": [BOT_PRINCIPAL.rsplit("/", 1)[0] + "/"],
        "images": [{"name": n, "tags": t} for n, t in IMAGES.items()],
    }
    appstream = sandbox.appstream(REGION)
    envelopes = []
    for name, account, fleet, builder in CALLS:
        appstream.update_image_permissions(
            Name=name, SharedAccountId=account,
            ImagePermissions={"allowFleet": fleet, "allowImageBuilder": builder},
        )  # fmt: skip
        envelopes.append(sandbox.emulator.events.named("UpdateImagePermissions")[-1])
        sandbox.drain()  # the bot acts before the next person does
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in envelopes), encoding="utf-8")
    world_file = tmp_path / "world.yaml"
    world_file.write_text(yaml.safe_dump(world), encoding="utf-8")

    done = _govbot("simulate", "--policy", str(DEMO_POLICY), "--world", str(world_file),
                   str(events), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    simulated = {e["event_id"]: e for e in json.loads(done.stdout)["events"]}

    assert len(simulated) == len(CALLS)
    outcomes = []
    for envelope in envelopes:
        event_id = envelope["detail"]["eventID"]
        bundle = sandbox.ledger.get_event(event_id)
        mine = simulated[event_id]
        assert mine["status"] == bundle.event.status if bundle.event else None
        assert _sandbox_outcome(bundle) == mine["outcome"], (event_id, bundle)
        deployed_actions = [
            (a.operation, a.shared_account_id, a.request.get("ImagePermissions"), a.status)
            for a in bundle.actions
        ]
        simulated_actions = [
            (a["operation"], a["shared_account_id"], a["parameters"].get("ImagePermissions"),
             a["status"])
            for a in mine["actions"]
        ]  # fmt: skip
        assert simulated_actions == deployed_actions, event_id
        assert {
            (v["rule_id"], v["account_id"] or "-", v["permission"] or "share", v["outcome"])
            for v in mine["verdicts"]
            if v["outcome"] != "allowed"
        } == _violations(bundle.decisions), event_id
        outcomes.append(mine["outcome"])
    # The scenario covers every outcome a share can have.
    assert {"remedied", "compliant", "violation", "exempted"} <= set(outcomes), outcomes
    # And the final world is the emulator's.
    final = {i["name"]: i["permissions"] for i in json.loads(done.stdout)["world"]["images"]}
    for name in IMAGES:
        listed = appstream.describe_image_permissions(Name=name)["SharedImagePermissionsList"]
        emulated = sorted(
            (p["sharedAccountId"], p["imagePermissions"]["allowFleet"],
             p["imagePermissions"]["allowImageBuilder"])
            for p in listed
        )  # fmt: skip
        assert sorted((s["account"], s["fleet"], s["image_builder"]) for s in final[name]) == (
            emulated
        ), name


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_check_agrees_with_the_enforcer_with_org_members_and_slack_exemptions(
    sandbox: Sandbox, moto_server: str
) -> None:
    orgs = boto3.client("organizations", region_name=REGION)
    orgs.create_organization(FeatureSet="ALL")
    member = orgs.create_account(Email="m@example.com", AccountName="member")
    member_id = orgs.describe_create_account_status(
        CreateAccountRequestId=member["CreateAccountStatus"]["Id"]
    )["CreateAccountStatus"]["AccountId"]
    backend = sandbox.emulator.backend
    for name, tags in IMAGES.items():
        backend.seed_image(HUB_ACCOUNT, REGION, name, tags=tags)
    slack_exempted = f"arn:aws:appstream:{REGION}:{HUB_ACCOUNT}:image/dev-tools"
    now = sandbox.ledger.now()
    sandbox.ledger.put_exemption(
        ExemptionRecord(
            exemption_id="slack-dev-tools", image_arn=slack_exempted, account_id=OUTSIDER,
            permission="fleet", reason="vendor trial", approver="U0DEMO0001",
            expires_at=now + timedelta(days=3), granted_at=now, source="slack",
        )
    )  # fmt: skip
    shares = [
        ("app-base", member_id, True, True),  # trusted only as an organization member
        ("app-base", OUTSIDER, True, True),
        ("dev-tools", OUTSIDER, True, False),  # exempted from Slack, in the ledger
        ("prod-web", OUTSIDER, True, False),
        ("secret-app", TRUSTED, True, False),
    ]
    appstream = sandbox.appstream(REGION)
    for name, account, fleet, builder in shares:
        appstream.update_image_permissions(
            Name=name, SharedAccountId=account,
            ImagePermissions={"allowFleet": fleet, "allowImageBuilder": builder},
        )  # fmt: skip

    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": REGION}  # fmt: skip
    with EmulatorServer(sandbox.emulator) as served:
        checked = _govbot(
            "check", "--policy", str(DEMO_POLICY), "--regions", REGION, "--accounts", HUB_ACCOUNT,
            "--endpoint-url", served.endpoint_url, "--org-endpoint-url", moto_server,
            "--table", sandbox.table_name, "--ledger-endpoint-url", moto_server, "--json",
            env=env,
        )  # fmt: skip
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert member_id in report["organization_members"]
    assert report["ledger_exemptions"] == ["slack-dev-tools"]
    check_verdicts = {
        (
            i["image_name"],
            v["rule_id"],
            v["account_id"] or "-",
            v["permission"] or "share",
            v["outcome"],
        )
        for i in report["images"]
        for v in i["verdicts"]
        if v["outcome"] != "allowed"
    }

    sandbox.drain()  # now the deployed enforcer judges the same images
    enforcer_verdicts: set[tuple[str, str, str, str, str]] = set()
    latest: dict[str, set[tuple[str, str, str, str]]] = {}
    for envelope in sandbox.emulator.events.named("UpdateImagePermissions"):
        if BOT_PRINCIPAL.rsplit("/", 1)[0] in envelope["detail"]["userIdentity"]["arn"]:
            continue
        bundle = sandbox.ledger.get_event(envelope["detail"]["eventID"])
        name = envelope["detail"]["requestParameters"]["name"]
        # Each event re-reads the image: the first saw every share, later ones what is left.
        latest[name] = latest.get(name, set()) | _violations(bundle.decisions)
    for name, found in latest.items():
        enforcer_verdicts |= {(name, *v) for v in found}
    assert check_verdicts == enforcer_verdicts
    assert ("dev-tools", "audit-fleet-dev", OUTSIDER, "fleet", "exempted") in check_verdicts
    assert not any(v[2] == member_id for v in check_verdicts)  # the org member is trusted
