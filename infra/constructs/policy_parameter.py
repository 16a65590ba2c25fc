"""The SSM parameter holding the policy as canonical JSON, validated at synth time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.policy_source import read_policy

STANDARD_TIER_LIMIT_BYTES = 4096


def tier_for(text: str) -> ssm.ParameterTier:
    """Standard tier holds 4 KB; anything larger needs the advanced tier."""
    size = len(text.encode("utf-8"))
    return (
        ssm.ParameterTier.ADVANCED
        if size > STANDARD_TIER_LIMIT_BYTES
        else ssm.ParameterTier.STANDARD
    )


class PolicyParameter(Construct):
    """``parameter`` (a String) whose value is the validated policy file as canonical JSON."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        policy_file: Path,
        parameter_name: str,
        governed_regions: Sequence[str],
        governed_accounts: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        text = read_policy(policy_file, governed_regions, governed_accounts)
        self.parameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=parameter_name,
            description=f"govbot policy (from {policy_file.name}); edit the file and redeploy",
            string_value=text,
            tier=tier_for(text),
        )
