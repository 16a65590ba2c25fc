"""The IAM each AWS call needs, declared beside the gateway that makes the call.

As Cloud Custodian declares ``permissions`` on each action, every gateway module declares,
in one table, the IAM action and the kind of resource each of its operations needs::

    declare("appstream", {"DescribeImages": "image", "ListTagsForResource": "*"})

A new call is one more line there, plus its name in :data:`FUNCTION_CALLS` for the
functions that make it. The CDK constructs grant each function exactly the needs of its
calls (``infra/grants.py``: kind -> ARNs); ``tests/iam`` runs the sandbox scenarios,
records every call each function makes and checks it against the synthesized policy.
Pure data: nothing here imports boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# Resource kinds a declaration may name; infra/grants.py turns each into ARNs.
RESOURCE_KINDS: Final = frozenset(
    {
        "*",  # the action has no resource type (IAM accepts only "*")
        "image",  # appstream image/* of the governed regions (own account)
        "fleet",
        "image-builder",
        "ec2-image",  # EC2 AMIs (exported images) of the governed regions: image/*
        "ledger",  # the ledger table and its indexes
        "ledger-stream",  # the ledger table's stream
        "policy-parameter",  # the SSM policy parameter
        # The function's Slack secret (webhooks: notifier; signing: actions). The work-signing
        # key (actions, enforcer) is granted by infra/constructs/work_signing.py, the
        # construct that creates it after both functions exist.
        "slack-secret",
        "work-queue",  # the enforcer's queue (deferred button work)
        "remediation-role",  # the spoke remediation roles
    }
)


@dataclass(frozen=True)
class Need:
    """One IAM permission: ``action`` on resources of ``kind``."""

    action: str
    kind: str


_DECLARED: dict[str, Need] = {}


def declare(service: str, operations: Mapping[str, str], *, prefix: str = "") -> None:
    """Declare the resource kind each ``service`` operation needs; the IAM action is
    ``<prefix or service>:<Operation>``. Call keys are ``<service>:<Operation>``."""
    for operation, kind in operations.items():
        if kind not in RESOURCE_KINDS:
            raise ValueError(f"{service}:{operation}: unknown resource kind {kind!r}")
        _DECLARED[f"{service}:{operation}"] = Need(f"{prefix or service}:{operation}", kind)


def declared_so_far() -> Mapping[str, Need]:
    """The calls declared by the gateway modules imported so far (``govbot.iam_catalogue``
    imports them all: this module imports no gateway, so the gateways can import it)."""
    return dict(_DECLARED)


_LEDGER = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query")
_POLICY = ("ssm:GetParameter",)

# The calls each function's code makes (its handlers, through wiring), by service:Operation.
# tests/iam proves the scenarios make exactly these, except those in NOT_EXERCISED.
FUNCTION_CALLS: Final[Mapping[str, frozenset[str]]] = {
    "enforcer": frozenset(
        {
            "appstream:DescribeImages",
            "appstream:DescribeImagePermissions",
            "appstream:UpdateImagePermissions",
            "appstream:DeleteImagePermissions",
            "appstream:DescribeFleets",
            "appstream:DescribeImageBuilders",
            "appstream:ListTagsForResource",
            "organizations:ListAccounts",
            # Ways out (exports to AMIs, builders' agents): read, and removed in enforce mode.
            "appstream:ListExportImageTasks",
            "appstream:UpdateImageBuilder",
            "ec2:DescribeImages",
            "ec2:DescribeImageAttribute",
            "ec2:ModifyImageAttribute",
            "sts:AssumeRole",
            "secretsmanager:GetSecretValue",  # the work-signing key (signed button work)
            "dynamodb:UpdateItem",  # the event's final state (commit)
            "dynamodb:ConditionCheckItem",  # the announcement guard (only the enforcer)
            *_LEDGER,
            *_POLICY,
        }
    ),
    "replicator": frozenset(
        {
            "appstream:CopyImage",
            "appstream:DescribeImages",
            "appstream:DescribeImagePermissions",
            "appstream:TagResource",
            "appstream:UpdateImagePermissions",
            "appstream:DeleteImage",
            "appstream:ListTagsForResource",
            "sts:AssumeRole",
            *_LEDGER,
            *_POLICY,
        }
    ),
    "notifier": frozenset(
        {"secretsmanager:GetSecretValue", "dynamodb:UpdateItem", *_LEDGER, *_POLICY}
    ),
    "actions": frozenset({"secretsmanager:GetSecretValue", "sqs:SendMessage", *_LEDGER, *_POLICY}),
}

# Declared calls the sandbox scenarios do not make, and why the code still needs them.
NOT_EXERCISED: Final[Mapping[str, Mapping[str, str]]] = {
    "replicator": {
        "sts:AssumeRole": "a golden source in a spoke account (policy golden.source_account): "
        "the replicator then acts through the spoke's remediation role",
    },
    "actions": {
        "ssm:GetParameter": "every click checks the policy's approvers (PolicySource, 60 s "
        "cache); in the sandbox's one process that cache is the ParameterStore the enforcer "
        "filled moments before, so the read never happens under the actions handler",
    },
}
