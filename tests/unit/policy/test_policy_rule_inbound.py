"""Rule ``inbound_only_from_trusted``: fleets and builders of governed accounts that run an
image owned by an account outside the trusted set are flagged, report-only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govbot.domain import ImageRef, ImageSnapshot, ImageUse, PermissionKind
from govbot.policy import PolicyError, evaluate
from govbot.policy.loader import parse_policy
from tests.unit.policy.builders import NOW, ORG_MEMBER, OUTSIDER, TRUSTED, image, policy

VIEWER = "123456789012"  # the governed account whose fleets and builders are judged
VENDOR = "444444444444"  # listed in the rule's owners

RULE = """
trusted_accounts:
  - id: "111111111111"
    name: shared-services
organization:
  trust_member_accounts: true
rules:
  - id: trusted-image-owners
    type: inbound_only_from_trusted
    owners: ["444444444444"]
"""


def use(kind: PermissionKind, name: str, account: str = VIEWER) -> ImageUse:
    """A fleet or builder of ``account`` in us-east-1."""
    resource = "fleet" if kind == "fleet" else "image-builder"
    return ImageUse(
        kind=kind,
        name=name,
        arn=f"arn:aws:appstream:us-east-1:{account}:{resource}/{name}",
        account_id=account,
        region="us-east-1",
        state="RUNNING",
    )


def shared(owner: str, *uses: ImageUse, name: str = "vendor-app") -> ImageSnapshot:
    """``name`` owned by ``owner``, as seen from VIEWER, run by ``uses``."""
    return ImageSnapshot(
        ref=ImageRef(account_id=owner, region="us-east-1", name=name),
        visibility="SHARED",
        viewer_account_id=VIEWER,
        used_by=uses,
    )


def test_a_fleet_on_an_untrusted_owners_image_is_a_report_only_violation() -> None:
    snapshot = shared(OUTSIDER, use("fleet", "call-center"))
    evaluation = evaluate(snapshot, policy(RULE), NOW)

    (verdict,) = evaluation.verdicts
    assert verdict.outcome == "violation"
    assert (verdict.account_id, verdict.permission) == (VIEWER, "fleet")
    assert verdict.report_only
    assert not verdict.is_enforced
    assert verdict.severity == "high"  # the rule type's default
    assert "fleet call-center runs image vendor-app" in verdict.reason
    assert f"arn:aws:appstream:us-east-1:{OUTSIDER}:image/vendor-app" in verdict.reason
    assert f"owned by account {OUTSIDER}" in verdict.reason
    assert "not a trusted image owner" in verdict.reason
    # Report-only: never a permission change, even in enforce mode.
    assert evaluation.enforced_changes() == ()
    assert evaluation.audit_violations() == (verdict,)


@pytest.mark.parametrize(
    ("owner", "why"),
    [
        (TRUSTED, "listed in trusted_accounts"),
        (ORG_MEMBER, "organization member"),
        (VENDOR, "listed in the owners of rule trusted-image-owners"),
    ],
)
def test_trusted_owners_are_allowed_with_the_reason(owner: str, why: str) -> None:
    snapshot = shared(owner, use("fleet", "call-center"))
    evaluation = evaluate(snapshot, policy(RULE), NOW, org_accounts=frozenset({ORG_MEMBER}))

    (verdict,) = evaluation.verdicts
    assert verdict.outcome == "allowed"
    assert why in verdict.reason


def test_include_trusted_off_trusts_only_the_listed_owners() -> None:
    body = RULE.replace("owners: [", "include_trusted: false\n    owners: [")
    evaluation = evaluate(shared(TRUSTED, use("fleet", "f")), policy(body), NOW)
    assert [v.outcome for v in evaluation.verdicts] == ["violation"]
    assert "include_trusted is off" in evaluation.verdicts[0].reason


def test_one_verdict_per_account_and_use_naming_every_fleet_and_builder() -> None:
    snapshot = shared(
        OUTSIDER,
        use("fleet", "b-fleet"),
        use("fleet", "a-fleet"),
        use("image_builder", "builder-1"),
    )
    verdicts = evaluate(snapshot, policy(RULE), NOW).verdicts
    assert [(v.account_id, v.permission) for v in verdicts] == [
        (VIEWER, "fleet"),
        (VIEWER, "image_builder"),
    ]
    assert "fleets a-fleet, b-fleet run image vendor-app" in verdicts[0].reason
    assert "image builder builder-1 runs image" in verdicts[1].reason


def test_uses_limits_the_check_and_severity_comes_from_the_policy() -> None:
    body = RULE + "    uses: [image_builder]\n    severity: critical\n"
    snapshot = shared(OUTSIDER, use("fleet", "f"), use("image_builder", "b"))
    (verdict,) = evaluate(snapshot, policy(body), NOW).verdicts
    assert verdict.permission == "image_builder"
    assert verdict.severity == "critical"


def test_public_images_own_images_and_unused_images_give_no_verdict() -> None:
    rules = policy(RULE)
    public = ImageSnapshot(
        ref=ImageRef(account_id="", region="us-east-1", name="AppStream-WinServer2022"),
        visibility="PUBLIC",
        used_by=(use("fleet", "f"),),
    )
    assert evaluate(public, rules, NOW).verdicts == ()
    assert evaluate(shared(OUTSIDER), rules, NOW).verdicts == ()
    own = shared(VIEWER, use("fleet", "f"))  # the viewer's own image: not inbound
    assert evaluate(own, rules, NOW).verdicts == ()
    # A private image with shares: the rule has nothing to say (other rules judge shares).
    assert evaluate(image("prod-web"), rules, NOW).verdicts == ()


def test_an_exemption_for_the_account_and_use_excuses_it_until_it_expires() -> None:
    body = (
        RULE
        + f"""
exemptions:
  - id: vendor-pilot
    images:
      names: ["vendor-*"]
    account: "{VIEWER}"
    permission: fleet
    rules: [trusted-image-owners]
    reason: pilot of the vendor's image
    approver: U0DEMO0001
    expires: {(NOW + timedelta(days=1)).isoformat()}
"""
    )
    snapshot = shared(OUTSIDER, use("fleet", "f"))
    (verdict,) = evaluate(snapshot, policy(body), NOW).verdicts
    assert verdict.outcome == "exempted"
    assert verdict.exemption_id == "vendor-pilot"
    (later,) = evaluate(snapshot, policy(body), NOW + timedelta(days=2)).verdicts
    assert later.outcome == "violation"


def test_bad_config_is_a_clear_error() -> None:
    bad = RULE.replace('owners: ["444444444444"]', 'owners: ["4444"]\n    uses: [stream]')
    with pytest.raises(PolicyError) as caught:
        parse_policy("version: 1\nmode: enforce\n" + bad, "bad.yaml")
    text = str(caught.value)
    assert "bad.yaml" in text
    assert "rules[0].owners[0]" in text
    assert "12-digit AWS account id" in text
    assert "rules[0].uses[0]" in text
