"""Template checks over every stack of a deployment (hub, forwarders, spoke roles):
every DLQ alarmed, no IAM '*' except where AWS has no resource type, and every queue and
key policy that admits a service conditioned on the source."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.app import build_deployment

# Its own synthesis (not the infra hub fixture): a group of its own, set up once.
pytestmark = pytest.mark.xdist_group("resilience-template")

CONTEXT = {
    "account": "123456789012",
    "region": "us-east-1",
    "governed_regions": ["us-east-1", "eu-west-1"],
    "governed_account_ids": ["123456789012", "210987654321"],
    "spoke_accounts": ["210987654321"],
    "remediation_role_name": "govbot-remediation",
    # Several governed accounts: golden rules must pin their source account.
    "policy_file": str(
        Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "multi-account.yaml"
    ),
}
# Actions granted on '*' because AWS defines no resource type for them, each with why.
STAR_ONLY = {
    "appstream:ListTagsForResource": "the AppStream authorization reference lists no resource",
    "organizations:ListAccounts": "acts on the organization; no resource type",
    "xray:PutTraceSegments": "X-Ray defines no resource types",
    "xray:PutTelemetryRecords": "X-Ray defines no resource types",
    "dynamodb:ListStreams": "ListStreams has no resource type",
    "ec2:DescribeImages": "EC2 Describe* actions support no resource-level permissions",
    "appstream:ListExportImageTasks": "export tasks are named by id, not by a scopable ARN",
}
SOURCE_KEYS = ("aws:SourceArn", "aws:SourceAccount", "kms:EncryptionContext:aws:logs:arn")


@dataclass(frozen=True)
class Stacks:
    templates: dict[str, dict[str, Any]]

    def resources(self, resource_type: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (stack, logical_id, resource)
            for stack, template in self.templates.items()
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == resource_type
        ]


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Stacks:
    deployment = build_deployment(str(tmp_path_factory.mktemp("cdk-out")), CONTEXT)
    assembly = deployment.app.synth()
    every = [deployment.hub, *deployment.forwarders, *deployment.spoke_roles]
    assert deployment.forwarders  # the forwarders' DLQs are part of the check
    return Stacks({s.stack_name: assembly.get_stack_by_name(s.stack_name).template for s in every})


def _refs(value: Any) -> set[str]:
    """Logical ids a template value refers to (Ref / Fn::GetAtt), anywhere inside it."""
    text = json.dumps(value)
    found: set[str] = set()
    for marker in ('{"Ref": "', '{"Fn::GetAtt": ["'):
        for chunk in text.split(marker)[1:]:
            found.add(chunk.split('"', 1)[0])
    return found


def test_every_queue_no_function_consumes_has_a_depth_alarm(stacks: Stacks) -> None:
    consumed = {
        (stack, ref)
        for stack, _id, mapping in stacks.resources("AWS::Lambda::EventSourceMapping")
        for ref in _refs(mapping["Properties"].get("EventSourceArn"))
    }
    alarmed = {
        (stack, ref)
        for stack, _id, alarm in stacks.resources("AWS::CloudWatch::Alarm")
        if alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        for ref in _refs(alarm["Properties"].get("Dimensions"))
    }
    dead_letter_queues = {
        (stack, logical_id)
        for stack, logical_id, _queue in stacks.resources("AWS::SQS::Queue")
        if (stack, logical_id) not in consumed
    }
    assert any("Forwarder" in stack for stack, _ in dead_letter_queues)
    assert dead_letter_queues - alarmed == set()


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource["Properties"]
    if resource["Type"] == "AWS::IAM::Role":
        return [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    return list(props["PolicyDocument"]["Statement"])


def test_iam_star_only_where_aws_has_no_resource_type(stacks: Stacks) -> None:
    stars: set[str] = set()
    for kind in ("AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"):
        for _stack, _id, resource in stacks.resources(kind):
            for statement in _statements(resource):
                resources = statement.get("Resource")
                if resources == "*" or (isinstance(resources, list) and "*" in resources):
                    actions = statement["Action"]
                    stars |= set(actions if isinstance(actions, list) else [actions])
    assert stars  # the check saw the grants it is about
    assert stars - set(STAR_ONLY) == set()


def _service_allows_are_conditioned(statements: list[dict[str, Any]]) -> list[str]:
    """Allow statements for a service principal with no source condition and no Deny
    statement that scopes the same service by source."""
    problems = []
    guarded = {
        json.dumps(s["Principal"]["Service"], sort_keys=True)
        for s in statements
        if s.get("Effect") == "Deny"
        and "Service" in (s.get("Principal") or {})
        and any(k in json.dumps(s.get("Condition", {})) for k in SOURCE_KEYS)
    }
    for statement in statements:
        principal = statement.get("Principal") or {}
        if statement.get("Effect") != "Allow" or "Service" not in principal:
            continue
        condition = json.dumps(statement.get("Condition", {}))
        if any(key in condition for key in SOURCE_KEYS):
            continue
        if json.dumps(principal["Service"], sort_keys=True) in guarded:
            continue
        problems.append(f"{principal['Service']} {statement.get('Action')}")
    return problems


def test_queue_and_key_policies_admit_services_only_by_source(stacks: Stacks) -> None:
    problems: dict[str, list[str]] = {}
    checked = 0
    for stack, logical_id, policy in stacks.resources("AWS::SQS::QueuePolicy"):
        checked += 1
        found = _service_allows_are_conditioned(policy["Properties"]["PolicyDocument"]["Statement"])
        if found:
            problems[f"{stack}/{logical_id}"] = found
    for stack, logical_id, key in stacks.resources("AWS::KMS::Key"):
        checked += 1
        found = _service_allows_are_conditioned(key["Properties"]["KeyPolicy"]["Statement"])
        if found:
            problems[f"{stack}/{logical_id}"] = found
    assert checked >= 4
    assert problems == {}
