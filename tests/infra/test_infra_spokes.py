"""Spoke stacks: forwarders per (account, region), the hub bus policy, spoke remediation roles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import lint
from moto import mock_aws

from govbot import routing
from infra.app import SPOKES_NEED_ENV, build_deployment
from infra.config import InfraConfigError, settings_from_context
from infra.constructs.forwarding import (
    forwarded_patterns,
    hub_bus_arn,
    merge_patterns,
    partition_for,
)
from infra.constructs.hub_bus_policy import spoke_statement
from infra.constructs.remediation_role import hub_function_role_name, remediation_image_actions
from infra.grants import STAR_ONLY
from infra.spoke_stack import plan_forwarders
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.xdist_group("infra")

HUB_ACCOUNT = "123456789012"  # also moto's default account: the moto test relies on it
HUB_REGION = "us-east-1"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
SPOKES = ["210987654321", "444455556666"]
ROLE_NAME = "govbot-remediation"
HUB_BUS = f"arn:aws:events:{HUB_REGION}:{HUB_ACCOUNT}:event-bus/default"
CONTEXT = {
    "account": HUB_ACCOUNT,
    "region": HUB_REGION,
    "governed_regions": REGIONS,
    "governed_account_ids": [HUB_ACCOUNT, *SPOKES],
    "spoke_accounts": SPOKES,
    "remediation_role_name": ROLE_NAME,
    # Several governed accounts: golden rules must pin their source account.
    "policy_file": str(REPO_ROOT / "tests" / "fixtures" / "policies" / "multi-account.yaml"),
}


@dataclass(frozen=True)
class Synthesized:
    """Every template of one synth, by stack name, plus where they were written."""

    templates: dict[str, dict[str, Any]]
    envs: dict[str, tuple[str, str]]  # stack name -> (account, region)
    forwarders: list[str]
    spoke_roles: list[str]
    outdir: Path

    def resources(self, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource of one CloudFormation type in ``stack``."""
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack]["Resources"].items()
            if resource["Type"] == resource_type
        }

    def statements(self, stack: str) -> list[dict[str, Any]]:
        """Every identity-policy statement of ``stack`` (inline and ``AWS::IAM::Policy``)."""
        found = []
        for policy in self.resources(stack, "AWS::IAM::Policy").values():
            found += policy["Properties"]["PolicyDocument"]["Statement"]
        for role in self.resources(stack, "AWS::IAM::Role").values():
            for inline in role["Properties"].get("Policies", []):
                found += inline["PolicyDocument"]["Statement"]
        return found


@pytest.fixture(scope="module")
def spokes(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Hub + forwarders + spoke roles, nag packs on, synthesized once for the module."""
    outdir = tmp_path_factory.mktemp("cdk-out-spokes")
    deployment = build_deployment(str(outdir), CONTEXT)
    assembly = deployment.app.synth()  # raises if any cdk-nag finding is unacknowledged
    stacks = [deployment.hub, *deployment.forwarders, *deployment.spoke_roles]
    return Synthesized(
        templates={s.stack_name: assembly.get_stack_by_name(s.stack_name).template for s in stacks},
        envs={s.stack_name: (s.account, s.region) for s in stacks},
        forwarders=[s.stack_name for s in deployment.forwarders],
        spoke_roles=[s.stack_name for s in deployment.spoke_roles],
        outdir=outdir,
    )


def _flat(value: Any) -> Any:
    """Resolve ``Fn::Join`` of literals and ``AWS::Partition`` into plain strings."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] == "AWS::Partition":
            return "aws"
        if set(value) == {"Ref"} and value["Ref"] == "AWS::AccountId":
            return "${AWS::AccountId}"
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_flat(part)) for part in parts)
        return {key: _flat(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_flat(item) for item in value]
    return value


def _canonical(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, sort_keys=True)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- pure helpers -------------------------------------------------------------------------


def test_forwarded_union_is_the_enforcer_patterns_and_replicator_adds_nothing() -> None:
    union = merge_patterns(routing.enforcer_patterns(), routing.replicator_patterns())
    assert union == routing.enforcer_patterns()
    own = "arn:aws:sts::111122223333:assumed-role/GovbotHub-"
    assert forwarded_patterns(own) == routing.enforcer_patterns(own)
    # Merging is not a no-op: a replicator-only name would join its family exactly once.
    extra = [
        {
            "source": [routing.SOURCE],
            "detail-type": [routing.API_CALL],
            "detail": {"eventSource": [routing.EVENT_SOURCE], "eventName": ["NewOp", "CopyImage"]},
        }
    ]
    merged = merge_patterns(routing.enforcer_patterns(), extra)
    api_names = merged[0]["detail"]["eventName"]
    assert api_names == [*routing.governed_api_calls(), "NewOp"]
    assert len(merged) == 2
    assert routing.enforcer_patterns()[0]["detail"]["eventName"] == list(
        routing.governed_api_calls()
    )  # the source patterns were not mutated


def test_merge_refuses_a_pattern_without_event_source() -> None:
    with pytest.raises(ValueError, match=r"lacks source, detail-type or detail\.eventSource"):
        merge_patterns([{"source": ["aws.appstream"], "detail": {}}])


def test_plan_skips_only_the_hub_region_of_the_hub_account() -> None:
    plan = plan_forwarders(HUB_ACCOUNT, HUB_REGION, REGIONS, SPOKES)
    expected = [(HUB_ACCOUNT, r) for r in REGIONS[1:]] + [(a, r) for a in SPOKES for r in REGIONS]
    assert [(spec.account, spec.region) for spec in plan] == expected
    assert len({spec.stack_name for spec in plan}) == len(plan)


def test_hub_bus_arn_is_a_literal_in_the_right_partition() -> None:
    assert hub_bus_arn("111122223333", "eu-west-1") == (
        "arn:aws:events:eu-west-1:111122223333:event-bus/default"
    )
    assert hub_bus_arn("111122223333", "us-gov-west-1").startswith("arn:aws-us-gov:events:")
    assert partition_for("cn-northwest-1") == "aws-cn"


def test_hub_role_name_refuses_names_longer_than_iam_allows() -> None:
    assert hub_function_role_name("G" * 53, "replicator") == "G" * 53 + "-replicator"
    with pytest.raises(ValueError, match="longer than IAM's 64 characters"):
        hub_function_role_name("G" * 54, "replicator")


def test_spoke_statement_needs_accounts() -> None:
    with pytest.raises(ValueError, match="at least one spoke account"):
        spoke_statement([], HUB_BUS)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"spoke_accounts": ["12"]}, "'12' is not a 12-digit account id"),
        ({"spoke_accounts": [SPOKES[0], SPOKES[0]]}, "is listed twice"),
        ({"spoke_accounts": [HUB_ACCOUNT]}, "is the hub account"),
        ({"spoke_accounts": ["999999999999"]}, "missing from 'governed_account_ids'"),
        ({"remediation_role_name": ""}, "'remediation_role_name' is empty"),
    ],
)
def test_bad_spoke_context_is_rejected_with_the_key_named(
    context: dict[str, Any], message: str
) -> None:
    with pytest.raises(InfraConfigError, match=re.escape(message)):
        settings_from_context({**CONTEXT, **context}.get)


def test_csv_spoke_accounts_are_accepted() -> None:
    settings = settings_from_context({**CONTEXT, "spoke_accounts": ",".join(SPOKES)}.get)
    assert settings.spoke_accounts == tuple(SPOKES)


def test_without_a_hub_environment_no_spoke_stack_is_built_and_a_note_says_why(
    tmp_path: Path,
) -> None:
    deployment = build_deployment(
        context={"governed_regions": ["us-east-1", "eu-west-1"]}, nag=False
    )
    assert deployment.forwarders == ()
    assert deployment.spoke_roles == ()
    assert deployment.notes == (SPOKES_NEED_ENV,)
    assert "-c account=" in SPOKES_NEED_ENV
    # One region: a policy without golden destinations elsewhere (synth checks them).
    minimal = tmp_path / "minimal.yaml"
    minimal.write_text("version: 1\nmode: audit\n")
    single = build_deployment(
        context={"governed_regions": ["us-east-1"], "policy_file": str(minimal)}, nag=False
    )
    assert single.notes == ()


# --- the synthesized stacks ---------------------------------------------------------------


def test_one_forwarder_per_governed_account_region_except_the_hub_own(spokes) -> None:
    got = {spokes.envs[name] for name in spokes.forwarders}
    expected = {(HUB_ACCOUNT, r) for r in REGIONS if r != HUB_REGION}
    expected |= {(account, region) for account in SPOKES for region in REGIONS}
    assert got == expected
    assert len(spokes.forwarders) == len(expected)
    assert {spokes.envs[name] for name in spokes.spoke_roles} == {(a, HUB_REGION) for a in SPOKES}


def test_forwarder_rules_carry_the_enforcer_patterns_to_the_hub_bus(spokes) -> None:
    for name in spokes.forwarders:
        account = spokes.envs[name][0]
        # govbot's own calls there are not forwarded: the hub's roles in the hub account,
        # the remediation role in a spoke.
        own = (
            f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/GovbotHub-"
            if account == HUB_ACCOUNT
            else f"arn:aws:sts::${{AWS::AccountId}}:assumed-role/{ROLE_NAME}/"
        )
        rules = spokes.resources(name, "AWS::Events::Rule").values()
        patterns = [_flat(rule["Properties"]["EventPattern"]) for rule in rules]
        assert sorted(patterns, key=_canonical) == sorted(
            routing.enforcer_patterns(own), key=_canonical
        ), name
        for rule in rules:
            assert "EventBusName" not in rule["Properties"]  # the default bus
            (target,) = rule["Properties"]["Targets"]
            assert target["Arn"] == HUB_BUS, name
            assert "DeadLetterConfig" in target
            assert "RoleArn" in target


def test_forwarding_role_may_only_put_events_on_the_hub_bus(spokes) -> None:
    for name in spokes.forwarders:
        assert spokes.statements(name) == [
            {"Action": "events:PutEvents", "Effect": "Allow", "Resource": HUB_BUS}
        ], name
        (role,) = spokes.resources(name, "AWS::IAM::Role").values()
        assert "ManagedPolicyArns" not in role["Properties"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "events.amazonaws.com"}
        # The account it is deployed in, whichever it is (one template for every spoke).
        assert trust["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }


def test_forwarder_dlq_is_encrypted_tls_only_and_writable_only_by_its_rules(spokes) -> None:
    for name in spokes.forwarders:
        (dlq_id, dlq) = next(iter(spokes.resources(name, "AWS::SQS::Queue").items()))
        assert len(spokes.resources(name, "AWS::SQS::Queue")) == 1
        assert dlq["Properties"]["SqsManagedSseEnabled"] is True
        (policy,) = spokes.resources(name, "AWS::SQS::QueuePolicy").values()
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        deny = [s for s in statements if s["Effect"] == "Deny"]
        assert [s["Condition"] for s in deny] == [{"Bool": {"aws:SecureTransport": "false"}}]
        allows = [s for s in statements if s["Effect"] == "Allow"]
        rule_ids = set(spokes.resources(name, "AWS::Events::Rule"))
        assert {s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in allows} == (
            rule_ids
        )
        for rule in spokes.resources(name, "AWS::Events::Rule").values():
            target = rule["Properties"]["Targets"][0]
            assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}


def test_hub_bus_policy_names_exactly_the_spoke_accounts(spokes) -> None:
    (policy,) = spokes.resources("GovbotHub", "AWS::Events::EventBusPolicy").values()
    properties = _flat(policy["Properties"])
    assert properties["EventBusName"] == "default"
    statement = properties["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == HUB_BUS
    assert sorted(statement["Principal"]["AWS"]) == sorted(
        f"arn:aws:iam::{account}:root" for account in SPOKES
    )
    assert statement["Condition"]["ForAllValues:StringEquals"] == {
        "events:source": [routing.SOURCE]
    }
    assert set(statement["Condition"]["StringEquals"]["events:detail-type"]) == {
        routing.API_CALL,
        routing.SERVICE_EVENT,
    }


def test_hub_without_spokes_has_no_bus_policy(hub) -> None:
    assert hub.resources("AWS::Events::EventBusPolicy") == {}


def test_spoke_role_trusts_exactly_the_hub_enforcer_and_replicator_role_arns(spokes) -> None:
    hub_roles = spokes.resources("GovbotHub", "AWS::IAM::Role")
    names = sorted(r["Properties"].get("RoleName", "") for r in hub_roles.values())
    assert "GovbotHub-enforcer" in names
    assert "GovbotHub-replicator" in names
    for name in spokes.spoke_roles:
        (role,) = spokes.resources(name, "AWS::IAM::Role").values()
        assert role["Properties"]["RoleName"] == ROLE_NAME
        (trust,) = _flat(role["Properties"]["AssumeRolePolicyDocument"]["Statement"])
        assert trust["Action"] == "sts:AssumeRole"
        assert trust["Principal"] == {"AWS": f"arn:aws:iam::{HUB_ACCOUNT}:root"}
        # Exact ARNs (no wildcard, no prefix), and no organization condition unless configured.
        assert trust["Condition"] == {
            "StringEquals": {
                "aws:PrincipalArn": [
                    f"arn:aws:iam::{HUB_ACCOUNT}:role/GovbotHub-enforcer",
                    f"arn:aws:iam::{HUB_ACCOUNT}:role/GovbotHub-replicator",
                ]
            }
        }


def test_spoke_role_acts_only_on_its_own_images_and_fleets_in_governed_regions(spokes) -> None:
    for name in spokes.spoke_roles:
        account = "${AWS::AccountId}"  # account-agnostic: the same template for every spoke
        image_actions: set[str] = set()
        for statement in _flat(spokes.statements(name)):
            actions = set(_as_list(statement["Action"]))
            resources = _as_list(statement["Resource"])
            if len(actions) == 1 and actions <= set(STAR_ONLY):  # one '*' policy per action
                assert resources == ["*"]
                continue
            if actions == {"ec2:DescribeImageAttribute", "ec2:ModifyImageAttribute"}:  # AMIs
                assert sorted(resources) == sorted(
                    f"arn:aws:ec2:{region}::image/*" for region in REGIONS
                )
                continue
            kind = {
                frozenset({"appstream:DescribeFleets"}): "fleet",
                frozenset(
                    {"appstream:DescribeImageBuilders", "appstream:UpdateImageBuilder"}
                ): "image-builder",
            }.get(frozenset(actions), "image")
            assert sorted(resources) == sorted(
                f"arn:aws:appstream:{region}:{account}:{kind}/*" for region in REGIONS
            ), (name, actions)
            if kind == "image":
                image_actions |= actions
        assert image_actions == set(remediation_image_actions())
        assert {a.split(":")[0] for a in image_actions} == {"appstream"}


def test_every_stack_is_nag_clean_and_cfn_lint_finds_no_error(spokes) -> None:
    report = spokes.outdir / "validation-report.json"
    if report.exists():
        document = json.loads(report.read_text())
        assert [v for p in document["pluginReports"] for v in p["violations"]] == []
    for name in [*spokes.forwarders, *spokes.spoke_roles, "GovbotHub"]:
        region = spokes.envs[name][1]
        matches = lint(json.dumps(spokes.templates[name]), regions=[region])
        errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches
                  if m.rule.severity.lower() == "error"]  # fmt: skip
        assert errors == [], name


# --- replay on moto's EventBridge ---------------------------------------------------------


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _entry(source: str, detail_type: str, detail: dict[str, Any]) -> Any:
    # Any: boto3's PutEvents entry TypedDict is stricter than a plain dict literal.
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}


def test_forwarder_rule_from_the_template_forwards_governed_and_drops_unrelated(
    aws, spokes, samples_dir
) -> None:
    name = f"GovbotForwarder-{HUB_ACCOUNT}-eu-west-1"
    spoke_events = boto3.client("events", region_name="eu-west-1")
    hub_events = boto3.client("events", region_name=HUB_REGION)
    sqs = boto3.client("sqs", region_name=HUB_REGION)
    queue_url = sqs.create_queue(QueueName="hub-sink")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    # The hub side: catch everything AppStream that lands on the hub default bus.
    hub_events.put_rule(Name="hub-sink", EventPattern=json.dumps({"source": [routing.SOURCE]}))
    hub_events.put_targets(Rule="hub-sink", Targets=[{"Id": "q", "Arn": queue_arn}])
    for logical_id, rule in spokes.resources(name, "AWS::Events::Rule").items():
        properties = rule["Properties"]
        spoke_events.put_rule(Name=logical_id, EventPattern=json.dumps(properties["EventPattern"]))
        spoke_events.put_targets(
            Rule=logical_id, Targets=[{"Id": "hub", "Arn": properties["Targets"][0]["Arn"]}]
        )

    service_event = json.loads(
        (samples_dir / "cloudtrail-CreateImage-service-event.json").read_text()
    )
    copy = {"eventSource": routing.EVENT_SOURCE, "eventName": "CopyImage", "awsRegion": "eu-west-1"}
    describe = {**copy, "eventName": "DescribeImages"}
    ec2 = {"eventSource": "ec2.amazonaws.com", "eventName": "CopyImage"}
    own_arn = f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/GovbotHub-ReplicationReplicatorRole-X/s"
    own = {**copy, "userIdentity": {"type": "AssumedRole", "arn": own_arn}}
    result = spoke_events.put_events(
        Entries=[
            _entry(routing.SOURCE, routing.API_CALL, copy),
            _entry(routing.SOURCE, routing.API_CALL, own),
            _entry(routing.SOURCE, routing.SERVICE_EVENT, service_event),
            _entry(routing.SOURCE, routing.API_CALL, describe),
            _entry("aws.ec2", routing.API_CALL, ec2),
        ]
    )
    assert result["FailedEntryCount"] == 0

    received = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            body = json.loads(message["Body"])
            received.append((body["detail-type"], body["detail"]["eventName"], body["detail"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted((t, n) for t, n, _ in received) == [
        (routing.API_CALL, "CopyImage"),
        (routing.SERVICE_EVENT, "CreateImage"),
    ]
    # The CloudTrail record arrives intact (moto rewrites the envelope region; AWS keeps it).
    copied = next(detail for _, n, detail in received if n == "CopyImage")
    assert copied["awsRegion"] == "eu-west-1"


def test_every_forwarder_alarm_notifies_its_kms_encrypted_topic(spokes) -> None:
    for name in spokes.forwarders:
        (topic_id, topic) = next(iter(spokes.resources(name, "AWS::SNS::Topic").items()))
        (key_id, key) = next(iter(spokes.resources(name, "AWS::KMS::Key").items()))
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert key["Properties"]["EnableKeyRotation"] is True
        grant = next(
            s
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if s.get("Sid") == "AllowAlarmsAndSnsRedrive"
        )
        assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": spokes.envs[name][0]}}
        alarms = spokes.resources(name, "AWS::CloudWatch::Alarm")
        assert alarms, name
        for alarm in alarms.values():
            assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}], name
        outputs = spokes.templates[name]["Outputs"]
        assert outputs["AlarmTopicArn"]["Value"] == {"Ref": topic_id}
