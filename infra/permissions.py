"""IAM building blocks shared by the govbot functions (scoped ARNs first, '*' only if forced).

Resource-level support per the Service Authorization Reference for AppStream 2.0:
``DescribeImages``, ``DescribeImagePermissions``, ``UpdateImagePermissions``,
``DeleteImagePermissions``, ``CopyImage``, ``DeleteImage`` and ``TagResource`` accept the
``image`` resource type; ``DescribeFleets`` accepts ``fleet`` and ``DescribeImageBuilders``
``image-builder``; ``ListTagsForResource``
lists no resource type, so it can only be granted on ``*``.

Each '*'-only grant lives in its own ``iam.Policy`` so that its nag acknowledgment carries
its own reason instead of hiding behind another '*' statement of the same role.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.nag import acknowledge

# AppStream actions that only accept Resource "*".
APPSTREAM_STAR_ONLY_ACTIONS: frozenset[str] = frozenset({"appstream:ListTagsForResource"})

_WILDCARD_NAME_REASON = (
    "AppStream {kind}s are created and named by the governed account's operators at any "
    "time and the bot must act on each of them, so the ARN is pinned to partition, region, "
    "account and resource type with only the {kind} name left as a wildcard."
)


def _nag_token(value: str, placeholder: str) -> str:
    return placeholder if cdk.Token.is_unresolved(value) else value


def appstream_arns(
    kind: str, regions: Iterable[str], stack: cdk.Stack, *, agnostic: bool = False
) -> list[tuple[str, str]]:
    """``(arn, nag_name)`` of ``<kind>/*`` in the stack's account for every governed region.

    ``nag_name`` is how cdk-nag prints the resource in a finding id (tokens become
    ``<AWS::Partition>`` / ``<AWS::AccountId>``). ``agnostic``: the account and partition
    are CloudFormation's pseudo parameters even when the stack has a concrete environment
    (a template deployed unchanged to many accounts).
    """
    stack_partition = cdk.Aws.PARTITION if agnostic else stack.partition
    stack_account = cdk.Aws.ACCOUNT_ID if agnostic else stack.account
    partition = _nag_token(stack_partition, "<AWS::Partition>")
    account = _nag_token(stack_account, "<AWS::AccountId>")
    return [
        (
            f"arn:{stack_partition}:appstream:{region}:{stack_account}:{kind}/*",
            f"arn:{partition}:appstream:{region}:{account}:{kind}/*",
        )
        for region in regions
    ]


def grant_appstream(
    role: iam.Role,
    actions: Sequence[str],
    kind: str,
    regions: Sequence[str],
    *,
    agnostic: bool = False,
) -> None:
    """Grant AppStream ``actions`` on ``kind`` ARNs of the governed regions (own account)."""
    unsupported = [a for a in actions if a in APPSTREAM_STAR_ONLY_ACTIONS]
    if unsupported:
        raise ValueError(
            f"{unsupported} cannot be scoped to {kind} ARNs; use grant_star_only() instead"
        )
    arns = appstream_arns(kind, regions, cdk.Stack.of(role), agnostic=agnostic)
    role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=[a for a, _ in arns]))
    for _, nag_name in arns:
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_name}]",
            _WILDCARD_NAME_REASON.format(kind=kind),
        )


_AMI_REASON = (
    "Exported AMIs are created by the governed account's operators at any time and govbot "
    "must read and remove the launch permissions of each; EC2 image ARNs carry no account, "
    "so the ARN is pinned to partition, region and the image type with only the AMI id left "
    "as a wildcard."
)


def grant_ec2_images(
    role: iam.Role, actions: Sequence[str], regions: Sequence[str], *, agnostic: bool = False
) -> None:
    """Grant EC2 ``actions`` on ``arn:PARTITION:ec2:REGION::image/*`` (AMI ARNs carry no
    account) for every governed region."""
    stack = cdk.Stack.of(role)
    stack_partition = cdk.Aws.PARTITION if agnostic else stack.partition
    shown = _nag_token(stack_partition, "<AWS::Partition>")
    role.add_to_policy(
        iam.PolicyStatement(
            actions=list(actions),
            resources=[f"arn:{stack_partition}:ec2:{region}::image/*" for region in regions],
        )
    )
    for region in regions:
        acknowledge(
            role, f"AwsSolutions-IAM5[Resource::arn:{shown}:ec2:{region}::image/*]", _AMI_REASON
        )


def grant_star_only(
    scope: Construct, construct_id: str, role: iam.Role, actions: Sequence[str], reason: str
) -> iam.Policy:
    """Grant ``actions`` on '*' in a dedicated policy, acknowledged with ``reason``."""
    policy = iam.Policy(
        scope,
        construct_id,
        statements=[iam.PolicyStatement(actions=list(actions), resources=["*"])],
        roles=[role],
    )
    acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", reason)
    return policy


def grant_policy_read(role: iam.Role, parameter: ssm.IStringParameter) -> None:
    """``ssm:GetParameter`` on the policy parameter only."""
    role.add_to_policy(
        iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter.parameter_arn])
    )


def acknowledge_kms_grant(role: iam.Role) -> None:
    """Acknowledge the action wildcards CDK's KMS grant helpers emit for the govbot key."""
    reason = (
        "Emitted by CDK's KMS grant helper for the single govbot customer-managed key: the "
        "statement's Resource is that key's ARN only, and GenerateDataKey*/ReEncrypt* are "
        "the variants the encrypting service chooses at call time."
    )
    for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
        acknowledge(role, f"AwsSolutions-IAM5[Action::{action}]", reason)
