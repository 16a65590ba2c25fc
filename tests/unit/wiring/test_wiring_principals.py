"""Who govbot acts as, and how it recognises itself in CloudTrail."""

from __future__ import annotations

import pytest

from govbot.enforcer.logic import is_principal
from govbot.wiring.appstream_parts import role_arn_resolver

HUB = "123456789012"
SPOKE = "210987654321"
FUNCTION_ROLE = f"arn:aws:sts::{HUB}:assumed-role/GovbotHub-EnforcerRole-1A2B3C/"


def test_hub_account_uses_own_credentials_spokes_the_remediation_role() -> None:
    resolve = role_arn_resolver("govbot-remediation", HUB)

    assert resolve(HUB) is None
    assert resolve(SPOKE) == f"arn:aws:iam::{SPOKE}:role/govbot-remediation"


def test_without_a_remediation_role_every_account_uses_own_credentials() -> None:
    resolve = role_arn_resolver("", HUB)

    assert resolve(HUB) is None
    assert resolve(SPOKE) is None


@pytest.mark.parametrize(
    ("actor", "pattern", "expected"),
    [
        # Deployed patterns are assumed-role prefixes; the session name varies.
        (FUNCTION_ROLE + "GovbotHub-Enforcer-xyz", FUNCTION_ROLE, True),
        (f"arn:aws:sts::{HUB}:assumed-role/GovbotHub-EnforcerRole-1A2B3CD/x", FUNCTION_ROLE, False),
        (f"arn:aws:iam::{HUB}:user/alice", FUNCTION_ROLE, False),
        ("", FUNCTION_ROLE, False),
        # Globs cover the remediation role in every spoke account.
        (
            f"arn:aws:sts::{SPOKE}:assumed-role/govbot-remediation/govbot",
            "arn:aws:sts::*:assumed-role/govbot-remediation/*",
            True,
        ),
        (
            f"arn:aws:sts::{SPOKE}:assumed-role/govbot-remediation-admin/mallory",
            "arn:aws:sts::*:assumed-role/govbot-remediation/*",
            False,
        ),
    ],
)
def test_own_principal_matching(actor: str, pattern: str, expected: bool) -> None:
    assert is_principal(actor, pattern) is expected
