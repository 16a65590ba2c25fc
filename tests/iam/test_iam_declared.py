"""IAM proven by the calls: every function's scenarios against its synthesized policy.

The sandbox scenarios (tests/e2e, tests/integration/handlers) are recorded by the recorder
(tests/iam/recorder.py): every (function, account, region, IAM action, resource) the
handlers' botocore calls need. In a full run the scenarios are recorded as they run
(tests/iam/in_run.py); otherwise they run once more in a child pytest with the recorder.
The hub is synthesized for the same accounts and regions; each call of a hub credential
must be allowed by its function's role, each call in a spoke by the StackSet remediation
role (deployed, by ``AWS::AccountId``, in that spoke), and every granted action must be
used by some call or be listed below with why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest

from govbot import iam_catalogue as declared
from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.sandbox import REMEDIATION_ROLE
from infra.app import build_deployment
from infra.spoke_stack import STACKSET_ROLE_TEMPLATE
from tests.conftest import REPO_ROOT
from tests.iam.audit import Explained, Request, Statement, audit, resolve, role_statements
from tests.iam.in_run import GROUP, SCENARIOS, calls_recorded_in_this_run
from tests.iam.recorder import ENV

pytestmark = pytest.mark.xdist_group(GROUP)  # its own synthesis, after the scenarios it audits

HUB_REGION = "us-east-1"
TABLE = "govbot-ledger"  # the sandbox's table name
ENFORCER_QUEUE = "govbot-enforcer"  # the sandbox's name of the enforcer's events queue

# Granted, though no code of the function calls it: who uses it, and why.
EXPLAINED = (
    Explained("logs:*", "*", "Lambda writes the function's log stream with its role"),
    Explained("xray:*", "*", "active tracing: Lambda's X-Ray daemon sends the segments"),
    Explained(
        "kms:*",
        "arn:aws:kms:*",
        "the ledger key: DynamoDB, SQS and Secrets Manager use it on the caller's behalf",
    ),
    *(
        Explained(action, "*", "the SQS event source mapping: Lambda polls the queue")
        for action in (
            "sqs:ReceiveMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:DeleteMessage",
        )
    ),
    Explained(
        "sqs:SendMessage",
        "<*>",  # a queue no code sends to: the DLQ / failure destination
        "the function's DLQ or on-failure destination: Lambda sends to it with the role",
    ),
    *(
        Explained(action, "*", "the notifier's stream event source mapping: Lambda reads it")
        for action in (
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        )
    ),
)


@dataclass(frozen=True)
class Recorded:
    """The calls of the scenarios and the templates synthesized for their accounts."""

    calls: list[dict[str, Any]]
    hub: dict[str, Any]
    spoke_role: dict[str, Any]
    spokes: tuple[str, ...]
    regions: tuple[str, ...]


def _calls_of_a_child_run(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Run the scenarios in a child pytest with the recorder plugin; their calls."""
    out = tmp_path_factory.mktemp("iam") / "calls.json"
    env = {**os.environ, ENV: str(out)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n0", "-p", "tests.iam.recorder",
         "-p", "no:cacheprovider", *SCENARIOS],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    calls: list[dict[str, Any]] = json.loads(out.read_text())
    return calls


@pytest.fixture(scope="module")
def recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    # The scenarios' calls from this run when all of them ran here (tests/iam/in_run.py),
    # else from a child run of them.
    calls = calls_recorded_in_this_run(request.config) or _calls_of_a_child_run(tmp_path_factory)
    spokes = tuple(sorted({c["account"] for c in calls} - {HUB_ACCOUNT}))
    regions = tuple(
        sorted({c["region"] for c in calls if c["action"].startswith("appstream:")} | {HUB_REGION})
    )
    context: dict[str, Any] = {
        "account": HUB_ACCOUNT,
        "region": HUB_REGION,
        "governed_regions": list(regions),
        "remediation_role_name": REMEDIATION_ROLE,
    }
    if spokes:
        context |= {
            "governed_account_ids": [HUB_ACCOUNT, *spokes],
            "spoke_accounts": list(spokes),
            "policy_file": str(REPO_ROOT / "tests/fixtures/policies/multi-account.yaml"),
        }
    outdir = tmp_path_factory.mktemp("cdk-out-iam")
    deployment = build_deployment(str(outdir), context, nag=False)
    assembly = deployment.app.synth()
    return Recorded(
        calls=calls,
        hub=assembly.get_stack_by_name("GovbotHub").template,
        spoke_role=deployment.stacksets[STACKSET_ROLE_TEMPLATE],
        spokes=spokes,
        regions=regions,
    )


def _tables(template: Mapping[str, Any], account: str) -> tuple[dict[str, str], dict[Any, str]]:
    """What each logical id stands for in the sandbox (``refs``, ``attrs``)."""
    base = f"{HUB_REGION}:{account}"
    refs = {"AWS::Partition": "aws", "AWS::AccountId": account, "AWS::Region": HUB_REGION,
            "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
    attrs: dict[Any, str] = {}
    for lid, resource in template["Resources"].items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            attrs[(lid, "Arn")] = f"arn:aws:dynamodb:{base}:table/{TABLE}"
            attrs[(lid, "StreamArn")] = f"arn:aws:dynamodb:{base}:table/{TABLE}/stream/*"
        elif kind == "AWS::SecretsManager::Secret":
            # Ref is the ARN: the name plus Secrets Manager's random suffix.
            refs[lid] = f"arn:aws:secretsmanager:{base}:secret:{props['Name']}-*"
        elif kind == "AWS::SSM::Parameter":
            refs[lid] = props["Name"]
        elif kind == "AWS::SQS::Queue" and lid.startswith("EnforcementEventsQueue"):
            attrs[(lid, "Arn")] = f"arn:aws:sqs:{base}:{ENFORCER_QUEUE}"
        elif kind == "AWS::KMS::Key":
            attrs[(lid, "Arn")] = f"arn:aws:kms:{base}:key/{lid}"
    return refs, attrs


def _function_roles(template: Mapping[str, Any]) -> dict[str, str]:
    """Function (``enforcer``, ...) -> its role's logical id, by each handler's module."""
    roles = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            handler = resource["Properties"]["Handler"]  # govbot.handlers.<function>.<name>
            roles[handler.split(".")[2]] = resource["Properties"]["Role"]["Fn::GetAtt"][0]
    return roles


def _requests(calls: list[dict[str, Any]], **where: str) -> list[Request]:
    return sorted(
        {Request(c["action"], c["resource"], c["call"]) for c in calls
         if all(c[k] == v for k, v in where.items())},
        key=lambda r: (r.action, r.resource),
    )  # fmt: skip


def _hub_statements(recorded: Recorded, function: str) -> list[Statement]:
    refs, attrs = _tables(recorded.hub, HUB_ACCOUNT)
    role = _function_roles(recorded.hub)[function]
    return role_statements(recorded.hub, role, refs, attrs)


def test_the_scenarios_exercise_every_function(recorded: Recorded) -> None:
    assert {c["function"] for c in recorded.calls} == set(declared.FUNCTION_CALLS)
    assert set(_function_roles(recorded.hub)) == set(declared.FUNCTION_CALLS)


@pytest.mark.parametrize("function", sorted(declared.FUNCTION_CALLS))
def test_each_hub_call_is_allowed_and_each_grant_is_used(recorded: Recorded, function: str) -> None:
    statements = _hub_statements(recorded, function)
    requests = _requests(recorded.calls, function=function, account=HUB_ACCOUNT)
    assert requests
    not_exercised = [
        Explained(declared.need(call).action, "*", why)
        for call, why in declared.NOT_EXERCISED.get(function, {}).items()
    ]
    findings = audit(statements, requests, [*EXPLAINED, *not_exercised])
    assert findings.denied == []
    assert findings.unused == []


@pytest.mark.parametrize("function", sorted(declared.FUNCTION_CALLS))
def test_declared_calls_are_exactly_the_calls_made(recorded: Recorded, function: str) -> None:
    made = {c["action"] for c in recorded.calls if c["function"] == function}
    needed = {declared.need(call).action for call in declared.FUNCTION_CALLS[function]}
    not_exercised = {declared.need(c).action for c in declared.NOT_EXERCISED.get(function, {})}
    assert made == needed - not_exercised
    assert not_exercised <= needed


def test_spoke_calls_are_allowed_by_the_stackset_role_in_that_account(recorded: Recorded) -> None:
    assert recorded.spokes, "no scenario acts in a spoke account"
    (role_id,) = [
        lid for lid, r in recorded.spoke_role["Resources"].items() if r["Type"] == "AWS::IAM::Role"
    ]
    used: list[Request] = []
    for spoke in recorded.spokes:
        refs, attrs = _tables(recorded.spoke_role, spoke)
        statements = role_statements(recorded.spoke_role, role_id, refs, attrs)
        requests = _requests(recorded.calls, account=spoke)
        used += requests
        assert audit(statements, requests, EXPLAINED).denied == [], spoke
    assert {r.action for r in used} <= {
        a for s in role_statements(recorded.spoke_role, role_id, *_tables(
            recorded.spoke_role, recorded.spokes[0])) for a in s.actions
    }  # fmt: skip


def test_the_internet_facing_actions_function_cannot_delete_or_scan_the_ledger(
    recorded: Recorded,
) -> None:
    ledger = f"arn:aws:dynamodb:{HUB_REGION}:{HUB_ACCOUNT}:table/{TABLE}"
    for function in declared.FUNCTION_CALLS:
        statements = _hub_statements(recorded, function)
        for action in ("dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem"):
            denied = audit(statements, [Request(action, ledger)], EXPLAINED).denied
            assert denied == [Request(action, ledger)], (function, action)


# --- the check catches what it is for (mutations) -------------------------------------


def test_removing_a_grant_is_caught(recorded: Recorded) -> None:
    statements = _hub_statements(recorded, "enforcer")
    requests = _requests(recorded.calls, function="enforcer", account=HUB_ACCOUNT)
    removed = "appstream:UpdateImagePermissions"
    mutated = [replace(s, actions=tuple(a for a in s.actions if a != removed))
               for s in statements]  # fmt: skip
    denied = audit(mutated, requests, EXPLAINED).denied
    assert denied
    assert {r.action for r in denied} == {removed}


def test_adding_a_call_is_caught(recorded: Recorded) -> None:
    statements = _hub_statements(recorded, "actions")
    requests = _requests(recorded.calls, function="actions", account=HUB_ACCOUNT)
    extra = Request(
        "dynamodb:DeleteItem", f"arn:aws:dynamodb:{HUB_REGION}:{HUB_ACCOUNT}:table/{TABLE}"
    )
    assert audit(statements, requests, EXPLAINED).denied == []
    assert audit(statements, [*requests, extra], EXPLAINED).denied == [extra]


def test_a_grant_nothing_uses_is_caught(recorded: Recorded) -> None:
    statements = _hub_statements(recorded, "actions")
    requests = _requests(recorded.calls, function="actions", account=HUB_ACCOUNT)
    ledger = f"arn:aws:dynamodb:{HUB_REGION}:{HUB_ACCOUNT}:table/{TABLE}"
    extra = Statement(("dynamodb:Scan",), (ledger,))
    before = audit(statements, requests, EXPLAINED).unused
    after = audit([*statements, extra], requests, EXPLAINED).unused
    assert after == [*before, ("dynamodb:Scan", (ledger,))]


def test_resolve_handles_what_cdk_emits() -> None:
    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x:",
                               {"Fn::GetAtt": ["T", "Arn"]}]]}  # fmt: skip
    assert resolve(value, {"AWS::Partition": "aws"}, {("T", "Arn"): "t"}) == "arn:aws:x:t"
    assert resolve({"Ref": "Unknown"}, {}, {}) == "<Unknown>"
