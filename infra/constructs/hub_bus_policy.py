"""The hub default bus accepts governed AppStream events forwarded by spoke accounts.

Forwarders in the hub's own account (other regions) need no resource policy: their role's
identity policy suffices within one account. Other accounts need this statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from govbot import routing

STATEMENT_ID = "govbot-spoke-appstream-forwarding"


def spoke_statement(
    spoke_accounts: Sequence[str], bus_arn: str, partition: str = "aws"
) -> dict[str, Any]:
    """The bus policy statement: PutEvents from ``spoke_accounts``, AppStream events only.

    The conditions follow AWS's cross-account example: a spoke can put only events whose
    source is ``aws.appstream`` with one of the governed CloudTrail detail-types.
    """
    if not spoke_accounts:
        raise ValueError("spoke_statement needs at least one spoke account")
    return {
        "Sid": STATEMENT_ID,
        "Effect": "Allow",
        "Principal": {
            "AWS": [f"arn:{partition}:iam::{account}:root" for account in spoke_accounts]
        },
        "Action": "events:PutEvents",
        "Resource": bus_arn,
        "Condition": {
            "ForAllValues:StringEquals": {"events:source": [routing.SOURCE]},
            "StringEquals": {"events:detail-type": [routing.API_CALL, routing.SERVICE_EVENT]},
        },
    }


class SpokeEventsPolicy(Construct):
    """Resource policy on the hub's default bus for ``spoke_accounts`` (none if empty)."""

    def __init__(self, scope: Construct, construct_id: str, *, spoke_accounts: Sequence[str]):
        super().__init__(scope, construct_id)
        self.policy: cdk.CfnResource | None = None
        if not spoke_accounts:
            return
        stack = cdk.Stack.of(self)
        bus_arn = f"arn:{stack.partition}:events:{stack.region}:{stack.account}:event-bus/default"
        # A plain resource: reading CfnEventBusPolicy's deprecated ``principal`` (cdk-nag
        # does, on every L1 of the type) printed a deprecation warning at every synth.
        self.policy = cdk.CfnResource(
            self,
            "Policy",
            type="AWS::Events::EventBusPolicy",
            properties={
                "EventBusName": "default",
                "StatementId": STATEMENT_ID,
                "Statement": spoke_statement(spoke_accounts, bus_arn, stack.partition),
            },
        )
