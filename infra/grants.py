"""Grant each function exactly what its calls declare (``govbot.iam``).

Every gateway declares the IAM action and resource kind of each operation it makes;
``govbot.iam.FUNCTION_CALLS`` lists the calls of each function (read through
``govbot.iam_catalogue``, which loads every gateway's table). Here a kind becomes ARNs:
AppStream kinds are the own account's ``<kind>/*`` in every governed region, ``*`` gets a
policy of its own with the reason IAM allows nothing narrower, and every other kind is the
ARN list the construct passes in (the ledger table, the policy parameter, a secret...).
The test in ``tests/iam`` checks the result against the calls the scenarios make.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from govbot import iam_catalogue as declared
from infra.permissions import grant_appstream, grant_ec2_images, grant_star_only

APPSTREAM_KINDS = frozenset({"image", "fleet", "image-builder"})
# '*'-only actions: each in its own policy (construct id, why nothing narrower exists).
STAR_ONLY: Mapping[str, tuple[str, str]] = {
    "appstream:ListTagsForResource": (
        "ListTagsPolicy",
        "appstream:ListTagsForResource lists no resource type in the Service "
        "Authorization Reference for AppStream 2.0, so it can only be granted on '*'.",
    ),
    "ec2:DescribeImages": (
        "Ec2DescribeImagesPolicy",
        "ec2:DescribeImages does not support resource-level permissions, so '*' is the only "
        "Resource it accepts; it only reads (an import's source AMI owner).",
    ),
    "appstream:ListExportImageTasks": (
        "ExportTasksListPolicy",
        "AppStream's ListExportImageTasks names no resource type IAM can scope (export tasks "
        "are addressed by id), so '*' is the only Resource; it only reads.",
    ),
    "organizations:ListAccounts": (
        "OrganizationsPolicy",
        "organizations:ListAccounts has no resource type (it lists the whole "
        "organization), so '*' is the only Resource IAM accepts for it.",
    ),
}


def needs_by_kind(function: str) -> dict[str, list[str]]:
    """Resource kind -> sorted IAM actions the calls of ``function`` need."""
    try:
        calls = declared.FUNCTION_CALLS[function]
    except KeyError:
        raise ValueError(
            f"no calls declared for function {function!r}; known: "
            f"{', '.join(sorted(declared.FUNCTION_CALLS))}"
        ) from None
    by_kind: dict[str, set[str]] = {}
    for call in calls:
        need = declared.need(call)
        by_kind.setdefault(need.kind, set()).add(need.action)
    return {kind: sorted(actions) for kind, actions in sorted(by_kind.items())}


def grant_declared(
    scope: Construct,
    role: iam.Role,
    function: str,
    *,
    regions: Sequence[str],
    arns: Mapping[str, Sequence[str]],
) -> None:
    """Grant ``role`` the declared needs of ``function``'s calls.

    ``arns``: resource kind -> ARNs for the non-AppStream kinds. A kind mapped to no ARN
    is granted nothing (``remediation-role`` without spoke accounts); a kind missing from
    ``arns`` is an error, so a new declaration cannot be silently left ungranted.
    """
    for kind, actions in needs_by_kind(function).items():
        if kind in APPSTREAM_KINDS:
            grant_appstream(role, actions, kind, regions)
        elif kind == "ec2-image":
            grant_ec2_images(role, actions, regions)
        elif kind == "*":
            for action in actions:
                if action not in STAR_ONLY:
                    raise ValueError(f"{action} is declared on '*': add its reason to STAR_ONLY")
                construct_id, reason = STAR_ONLY[action]
                grant_star_only(scope, construct_id, role, [action], reason)
        elif kind not in arns:
            raise ValueError(
                f"{function}: calls {actions} need resource kind {kind!r}, which the "
                "construct does not map to ARNs"
            )
        elif arns[kind]:
            role.add_to_policy(iam.PolicyStatement(actions=actions, resources=list(arns[kind])))
