"""The remediation role in a spoke account, assumed by the hub's enforcer and replicator.

Trust: the hub account principal, narrowed by ``aws:PrincipalArn`` to the exact ARNs of the
hub functions' execution roles (they have fixed names, :func:`hub_function_role_name`) and,
when an organization is configured, by ``aws:PrincipalOrgID`` as well. A role session's
``aws:PrincipalArn`` is the role's ARN. The role is account-agnostic: its own ARNs use
``AWS::AccountId`` and ``AWS::Partition``, so one template serves every spoke account
(a StackSet on an OU).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.grants import APPSTREAM_KINDS, STAR_ONLY, needs_by_kind
from infra.permissions import grant_appstream, grant_ec2_images, grant_star_only

IAM_ROLE_NAME_MAX = 64
# The hub functions that act in spoke accounts, by the suffix of their fixed role name.
HUB_FUNCTIONS_IN_SPOKES: tuple[str, ...] = ("enforcer", "replicator")


def remediation_needs() -> dict[str, list[str]]:
    """Resource kind -> actions the hub functions call in a spoke (enforcer + replicator,
    from their declared calls): AppStream kinds, ``ec2-image``, and ``*`` for the actions
    with no resource type."""
    needs: dict[str, set[str]] = {}
    for function in HUB_FUNCTIONS_IN_SPOKES:
        for kind, actions in needs_by_kind(function).items():
            # What the hub does with a spoke's credentials: AppStream, and EC2 on the
            # AMIs exported from its images (the enforcer's ways-out rules).
            acting = {a for a in actions if a.startswith(("appstream:", "ec2:"))}
            if acting and (kind in APPSTREAM_KINDS or kind in ("*", "ec2-image")):
                needs.setdefault(kind, set()).update(acting)
    return {kind: sorted(actions) for kind, actions in sorted(needs.items())}


def remediation_image_actions() -> list[str]:
    """AppStream image actions the hub functions call in a spoke (enforcer + replicator)."""
    return remediation_needs()["image"]


def hub_function_role_name(hub_stack: str, function: str) -> str:
    """Fixed name of a hub function's role: ``<hub stack>-<function>``.

    It starts with the stack name, so the hub's own-call exclusion (``assumed-role/<stack>-``)
    still matches it.

    >>> hub_function_role_name("GovbotHub", "enforcer")
    'GovbotHub-enforcer'
    """
    name = f"{hub_stack}-{function}"
    if len(name) > IAM_ROLE_NAME_MAX:
        raise ValueError(
            f"hub role name {name!r} is longer than IAM's {IAM_ROLE_NAME_MAX} characters; "
            "shorten the hub stack name"
        )
    return name


def hub_function_role_arns(partition: str, hub_account: str, hub_stack: str) -> list[str]:
    """Exact ARNs of the hub roles a spoke's remediation role trusts.

    >>> hub_function_role_arns("aws", "111122223333", "GovbotHub")
    ['arn:aws:iam::111122223333:role/GovbotHub-enforcer', \
'arn:aws:iam::111122223333:role/GovbotHub-replicator']
    """
    return [
        f"arn:{partition}:iam::{hub_account}:role/{hub_function_role_name(hub_stack, f)}"
        for f in HUB_FUNCTIONS_IN_SPOKES
    ]


def spoke_trust_conditions(
    hub_role_arns: Sequence[str], organization_id: str = ""
) -> dict[str, dict[str, object]]:
    """Trust conditions: exactly the hub roles, and (if set) only from the organization."""
    if not hub_role_arns:
        raise ValueError("spoke trust: no hub role may assume it; give the hub role ARNs")
    equals: dict[str, object] = {"aws:PrincipalArn": list(hub_role_arns)}
    if organization_id:
        equals["aws:PrincipalOrgID"] = organization_id
    return {"StringEquals": equals}


def _partition_of(arns: Sequence[str]) -> str:
    if not arns:
        raise ValueError("spoke trust: no hub role may assume it; give the hub role ARNs")
    return arns[0].split(":")[1]


class RemediationRole(Construct):
    """Role ``role_name`` acting on the spoke's images in ``regions`` for the hub roles."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        hub_account: str,
        hub_role_arns: Sequence[str],
        regions: Sequence[str],
        organization_id: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            # The hub's partition as a literal, as in the role ARNs: the same text whatever
            # stack (per account or StackSet) renders it.
            assumed_by=iam.ArnPrincipal(
                f"arn:{_partition_of(hub_role_arns)}:iam::{hub_account}:root"
            ).with_conditions(spoke_trust_conditions(hub_role_arns, organization_id)),
            description="govbot remediation: the hub's enforcer and replicator act on images",
        )
        # Account-agnostic: each spoke's own images, whatever account the template lands in.
        for kind, actions in remediation_needs().items():
            if kind == "*":
                for action in actions:
                    construct_id, reason = STAR_ONLY[action]
                    grant_star_only(self, construct_id, self.role, [action], reason)
            elif kind == "ec2-image":
                grant_ec2_images(self.role, actions, regions, agnostic=True)
            else:
                grant_appstream(self.role, actions, kind, regions, agnostic=True)
