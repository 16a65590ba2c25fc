"""IAM for the ways out (exports to AMIs, builders' agent access), read from the
permissions each gateway declares beside its calls (``govbot.gateways.ec2.PERMISSIONS``,
``govbot.gateways.appstream_exits.PERMISSIONS``), so a grant moves with its operation.

Scoping: EC2 image attributes on ``arn:aws:ec2:REGION::image/*`` (AMI ARNs carry no
account); UpdateImageBuilder on the governed regions' ``image-builder/*``; the export
task reads and ``ec2:DescribeImages`` on ``*`` (no resource type to scope them to), each
'*' grant in its own policy with its own reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from govbot.gateways import appstream_exits, ec2
from infra.nag import acknowledge
from infra.permissions import grant_appstream, grant_star_only

_AMI_REASON = (
    "Exported AMIs are created by the governed account's operators at any time and govbot "
    "must read and remove the launch permissions of each; EC2 image ARNs carry no account, "
    "so the ARN is pinned to partition, region and the image type with only the AMI id left "
    "as a wildcard."
)


def exit_actions(kind: str) -> list[str]:
    """The declared actions of the exits gateways for resource ``kind`` ('*', 'image'...)."""
    declared = [*ec2.PERMISSIONS.values(), *appstream_exits.PERMISSIONS.values()]
    return sorted({action for action, resource in declared if resource == kind})


def grant_exits(scope: Construct, role: iam.Role, regions: Sequence[str]) -> None:
    """Grant ``role`` what the exits gateways call in the governed ``regions``."""
    stack = cdk.Stack.of(role)
    image_arns = [f"arn:{stack.partition}:ec2:{region}::image/*" for region in regions]
    role.add_to_policy(iam.PolicyStatement(actions=exit_actions("image"), resources=image_arns))
    # How cdk-nag names the resource: a token partition prints as <AWS::Partition>.
    shown = "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition
    for region in regions:
        acknowledge(
            role, f"AwsSolutions-IAM5[Resource::arn:{shown}:ec2:{region}::image/*]", _AMI_REASON
        )
    grant_appstream(role, exit_actions("image-builder"), "image-builder", regions)
    grant_star_only(
        scope,
        "ExitReadsPolicy",
        role,
        exit_actions("*"),
        "ec2:DescribeImages does not support resource-level permissions, and AppStream's "
        "ListExportImageTasks / GetExportImageTask name export tasks by id, not by an ARN "
        "IAM can scope, so '*' is the only Resource they accept; they only read.",
    )
