"""StackSet templates: one spoke template deploys unchanged into any account and region."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import lint
from moto import mock_aws

from infra.app import build_app, build_deployment
from infra.spoke_stack import STACKSET_FORWARDER_TEMPLATE, STACKSET_ROLE_TEMPLATE
from tests.infra.test_infra_spokes import CONTEXT, HUB_ACCOUNT, HUB_BUS, REGIONS, ROLE_NAME, SPOKES

pytestmark = pytest.mark.xdist_group("infra")

ORG_ID = "o-a1b2c3d4e5"
# Accounts the template never heard of: nothing in it may depend on them.
OTHER_ACCOUNTS = ("555566667777", "888899990000")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Any]:
    outdir = tmp_path_factory.mktemp("cdk-out-stacksets")
    app, _ = build_app(str(outdir), {**CONTEXT, "organization_id": ORG_ID})
    assembly = app.synth()
    deployment = build_deployment(str(outdir), {**CONTEXT, "organization_id": ORG_ID}, nag=False)
    return assembly, outdir / "stacksets", deployment


def _text(template: dict[str, Any]) -> str:
    return json.dumps(template, sort_keys=True)


def test_templates_are_written_as_files_for_a_service_managed_stackset(synth) -> None:
    _, directory, deployment = synth
    for name in (STACKSET_ROLE_TEMPLATE, STACKSET_FORWARDER_TEMPLATE):
        written = json.loads((directory / name).read_text())
        assert written == deployment.stacksets[name]


def test_no_spoke_account_no_bootstrap_rule_no_asset(synth) -> None:
    _, directory, _ = synth
    for name in (STACKSET_ROLE_TEMPLATE, STACKSET_FORWARDER_TEMPLATE):
        template = json.loads((directory / name).read_text())
        text = _text(template)
        for spoke in SPOKES:
            assert spoke not in text, name
        assert "BootstrapVersion" not in text
        assert "CheckBootstrapVersion" not in text
        assert "Rules" not in template
        assert "Parameters" not in template
        assert "aws:asset" not in text
        assert "cdk-hnb659fds" not in text
        assert "AWS::Lambda::Function" not in text
        # The hub is the one fixed party: its bus (forwarder) or its roles (role template).
        assert HUB_ACCOUNT in text
        errors = [m for m in lint(text, regions=REGIONS) if m.rule.severity.lower() == "error"]
        assert errors == [], name


def test_spoke_role_trusts_exact_hub_role_arns_inside_the_organization(synth) -> None:
    _, directory, _ = synth
    template = json.loads((directory / STACKSET_ROLE_TEMPLATE).read_text())
    (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {
        "StringEquals": {
            "aws:PrincipalArn": [
                f"arn:aws:iam::{HUB_ACCOUNT}:role/GovbotHub-enforcer",
                f"arn:aws:iam::{HUB_ACCOUNT}:role/GovbotHub-replicator",
            ],
            "aws:PrincipalOrgID": ORG_ID,
        }
    }


def test_per_account_spoke_stacks_hold_the_same_resources_as_the_stackset_template(
    synth,
) -> None:
    assembly, directory, deployment = synth
    stackset = json.loads((directory / STACKSET_ROLE_TEMPLATE).read_text())
    for stack in deployment.spoke_roles:
        template = assembly.get_stack_by_name(stack.stack_name).template
        assert template["Resources"] == stackset["Resources"], stack.stack_name
    forwarder = json.loads((directory / STACKSET_FORWARDER_TEMPLATE).read_text())
    spoke_forwarders = [s for s in deployment.forwarders if s.account != HUB_ACCOUNT]
    assert spoke_forwarders

    def rules(template: dict[str, Any]) -> dict[str, Any]:
        return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::Rule"}

    for stack in spoke_forwarders:
        # Same rules (patterns, target, role); the per-account stack's KMS key policy may
        # name its account literally, the StackSet's never does.
        template = assembly.get_stack_by_name(stack.stack_name).template
        assert rules(template) == rules(forwarder), stack.stack_name


def test_hub_roles_the_spokes_trust_have_those_exact_names(synth) -> None:
    assembly, _, _ = synth
    hub = assembly.get_stack_by_name("GovbotHub").template
    names = {
        r["Properties"].get("RoleName")
        for r in hub["Resources"].values()
        if r["Type"] == "AWS::IAM::Role"
    }
    assert {"GovbotHub-enforcer", "GovbotHub-replicator"} <= names


# --- the same template deployed into two moto accounts ----------------------------------


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _session_in(account: str, region: str) -> boto3.Session:
    """Credentials of ``account`` (moto maps an assumed role's keys to its account)."""
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="stackset",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def test_one_role_template_deploys_into_two_accounts_each_scoped_to_itself(aws, synth) -> None:
    _, directory, _ = synth
    body = (directory / STACKSET_ROLE_TEMPLATE).read_text()
    for account, region in zip(OTHER_ACCOUNTS, ("us-east-1", "eu-west-1"), strict=True):
        session = _session_in(account, region)
        cfn = session.client("cloudformation")
        cfn.create_stack(StackName="govbot-spoke-role", TemplateBody=body,
                         Capabilities=["CAPABILITY_NAMED_IAM"])  # fmt: skip
        stack = cfn.describe_stacks(StackName="govbot-spoke-role")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert outputs["RemediationRoleArn"] == f"arn:aws:iam::{account}:role/{ROLE_NAME}"
        iam = session.client("iam")
        policies = iam.list_role_policies(RoleName=ROLE_NAME)["PolicyNames"]
        attached = iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]
        resources: list[str] = []
        for name in policies:
            document = iam.get_role_policy(RoleName=ROLE_NAME, PolicyName=name)["PolicyDocument"]
            for statement in document["Statement"]:
                found = statement["Resource"]
                resources += found if isinstance(found, list) else [found]
        assert attached == []
        scoped = [r for r in resources if r != "*"]
        assert scoped, resources
        for arn in scoped:
            service, _, owner, what = arn.split(":")[2:6]
            if service == "ec2":  # AMI ARNs carry no account; only an AMI's owner may modify it
                assert (owner, what) == ("", "image/*"), arn
            else:
                assert owner == account, arn  # its own images, fleets and builders
        assert {arn.split(":")[3] for arn in scoped} == set(REGIONS)


def test_one_forwarder_template_deploys_into_two_accounts_and_regions(aws, synth) -> None:
    _, directory, _ = synth
    body = (directory / STACKSET_FORWARDER_TEMPLATE).read_text()
    for account, region in zip(OTHER_ACCOUNTS, ("eu-west-1", "ap-southeast-2"), strict=True):
        session = _session_in(account, region)
        cfn = session.client("cloudformation")
        cfn.create_stack(StackName="govbot-spoke-forwarder", TemplateBody=body,
                         Capabilities=["CAPABILITY_IAM"])  # fmt: skip
        stack = cfn.describe_stacks(StackName="govbot-spoke-forwarder")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        events = session.client("events")
        rules = events.list_rules()["Rules"]
        assert rules
        excluded = []
        for rule in rules:
            assert rule["Arn"].split(":")[3:5] == [region, account]
            detail = json.loads(rule["EventPattern"])["detail"]
            if "$or" in detail:  # API calls: govbot's own (the remediation role's) are dropped
                excluded.append(detail["$or"][0]["userIdentity"]["arn"][0]["anything-but"])
            (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            assert target["Arn"] == HUB_BUS
        assert excluded
        assert {e["prefix"] for e in excluded} == {
            f"arn:aws:sts::{account}:assumed-role/{ROLE_NAME}/"
        }


def test_the_cost_model_counts_what_the_templates_hold(synth) -> None:
    from bench import cost

    assembly, directory, _ = synth
    hub = assembly.get_stack_by_name("GovbotHub").template
    forwarder = json.loads((directory / STACKSET_FORWARDER_TEMPLATE).read_text())

    def count(template: dict[str, Any], resource_type: str) -> int:
        return sum(r["Type"] == resource_type for r in template["Resources"].values())

    assert count(hub, "AWS::CloudWatch::Alarm") == cost.HUB_ALARMS
    assert count(hub, "AWS::KMS::Key") == cost.HUB_KMS_KEYS
    assert count(hub, "AWS::SecretsManager::Secret") == cost.SECRETS
    assert count(forwarder, "AWS::CloudWatch::Alarm") == cost.FORWARDER_ALARMS
    assert count(forwarder, "AWS::KMS::Key") == cost.FORWARDER_KMS_KEYS


def test_stable_secret_names_are_stack_outputs(synth) -> None:
    assembly, _, _ = synth
    hub = assembly.get_stack_by_name("GovbotHub").template
    names = {
        r["Properties"]["Name"]
        for r in hub["Resources"].values()
        if r["Type"] == "AWS::SecretsManager::Secret"
    }
    assert names == {
        "govbot/slack/webhooks",
        "govbot/slack/signing",
        "govbot/internal/work-signing",
    }
    outputs = hub["Outputs"]
    assert "SlackWebhooksSecretName" in outputs
    assert "SlackSigningSecretName" in outputs
