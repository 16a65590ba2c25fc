"""The remediation role in a spoke account, assumed by the hub's enforcer and replicator.

Trust: the hub account principal, narrowed by ``aws:PrincipalArn`` to the ARN patterns of
the hub functions' execution roles. Those roles have CloudFormation-generated names
(``<HubStack>-<RoleLogicalId>-<random suffix>``), so each pattern pins the stack name and the
role's logical id and leaves only CloudFormation's random suffix open. A role session's
``aws:PrincipalArn`` is the role's ARN, which is what these patterns match.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.enforcement import ENFORCER_IMAGE_ACTIONS
from infra.constructs.replication import REPLICATOR_IMAGE_ACTIONS
from infra.exits_grants import grant_exits
from infra.permissions import grant_appstream, grant_star_only

# CloudFormation names a role <stack>-<logicalId>-<suffix> (suffix up to 13 characters)
# within IAM's 64-character limit; past it the name is truncated and a pattern would miss.
IAM_ROLE_NAME_MAX = 64
GENERATED_SUFFIX_MAX = 13


def remediation_image_actions() -> list[str]:
    """AppStream image actions the hub functions call in a spoke (enforcer + replicator)."""
    return sorted(set(ENFORCER_IMAGE_ACTIONS) | set(REPLICATOR_IMAGE_ACTIONS))


def hub_role_pattern(partition: str, hub_account: str, hub_stack: str, logical_id: str) -> str:
    """ARN pattern of a hub role CloudFormation names from ``hub_stack`` and ``logical_id``.

    Examples
    --------
    >>> hub_role_pattern("aws", "111122223333", "GovbotHub", "EnforcementEnforcerRole1A2B3C4D")
    'arn:aws:iam::111122223333:role/GovbotHub-EnforcementEnforcerRole1A2B3C4D-*'
    """
    prefix = f"{hub_stack}-{logical_id}-"
    if len(prefix) + GENERATED_SUFFIX_MAX > IAM_ROLE_NAME_MAX:
        raise ValueError(
            f"hub role {logical_id!r} in stack {hub_stack!r}: the generated name would exceed "
            f"{IAM_ROLE_NAME_MAX} characters and be truncated, so no stable ARN pattern "
            "exists; shorten the hub stack name"
        )
    return f"arn:{partition}:iam::{hub_account}:role/{prefix}*"


class RemediationRole(Construct):
    """Role ``role_name`` acting on the spoke's images in ``regions`` for the hub roles."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        hub_account: str,
        hub_role_patterns: Sequence[str],
        regions: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        if not hub_role_patterns:
            raise ValueError(f"{self.node.path}: no hub role may assume it; give the patterns")
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.AccountPrincipal(hub_account).with_conditions(
                {"ArnLike": {"aws:PrincipalArn": list(hub_role_patterns)}}
            ),
            description="govbot remediation: the hub's enforcer and replicator act on images",
        )
        grant_appstream(self.role, remediation_image_actions(), "image", regions)
        grant_appstream(self.role, ["appstream:DescribeFleets"], "fleet", regions)
        grant_appstream(self.role, ["appstream:DescribeImageBuilders"], "image-builder", regions)
        grant_exits(self, self.role, regions)
        grant_star_only(
            self,
            "ListTagsPolicy",
            self.role,
            ["appstream:ListTagsForResource"],
            "appstream:ListTagsForResource lists no resource type in the Service "
            "Authorization Reference for AppStream 2.0, so it can only be granted on '*'.",
        )
