"""``govbot check`` with an in-memory AppStream reader (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govbot.domain import ImageRef, ImageSnapshot, Permissions, SharedAccountPermission
from govbot.gateways.appstream import AppStreamGatewayError, FleetUsage
from govbot_cli import CliDeps
from tests.fakes import FakeAppStream, FakeOrganizations
from tests.unit.cli.runner import DEMO_POLICY, run_cli

OWNER = "123456789012"
REGION = "us-east-1"
NOW = datetime(2026, 11, 27, 16, tzinfo=UTC)


def _share(account: str, fleet: bool, builder: bool) -> SharedAccountPermission:
    return SharedAccountPermission(
        account_id=account, permissions=Permissions(allow_fleet=fleet, allow_image_builder=builder)
    )


def _image(name: str, *shares: SharedAccountPermission, owner: str = OWNER) -> ImageSnapshot:
    return ImageSnapshot(
        ref=ImageRef(account_id=owner, region=REGION, name=name), shared_with=shares
    )


LABELS = {"describe_image": "describe", "list_fleets": "fleets", "list_image_builders": "builders"}


def _asked(fake: FakeAppStream) -> list[tuple[str, ...]]:
    """What was read, as (what, account, region[, image name]); ``list`` is the private
    listing, ``shared`` the images others share with the account."""
    asked: list[tuple[str, ...]] = []
    for call in fake.calls:
        if call.method == "list_images":
            what = "list" if call.visibility == "PRIVATE" else "shared"
            asked.append((what, call.owner, call.region))
        elif call.image_arn:
            ref = ImageRef.from_arn(call.image_arn)
            asked.append((LABELS[call.method], ref.account_id, ref.region, ref.name))
        else:
            asked.append((LABELS[call.method], call.owner, call.region))
    return asked


def _deps(
    fake: FakeAppStream, caller: str = OWNER, org: FakeOrganizations | None = None
) -> CliDeps:
    return CliDeps(
        appstream=fake.factory,
        caller_account=lambda _region, _profile: caller,
        now=lambda: NOW,
        org_members=org or FakeOrganizations(),
    )


IMAGES = [
    _image("app-base", _share("111111111111", True, True)),
    _image("prod-app", _share("222222222222", True, False), _share("999999999999", True, True)),
]


def test_check_all_reports_violations_and_exits_1() -> None:
    fake = FakeAppStream(IMAGES)
    result = run_cli(
        "check", "--region", REGION, "--all", "--policy", DEMO_POLICY, deps=_deps(fake)
    )
    assert result.code == 1, result.err
    # Account from the caller identity; the demo policy judges inbound shares too.
    assert _asked(fake) == [
        ("list", OWNER, REGION),
        ("shared", OWNER, REGION),
        ("fleets", OWNER, REGION),
        ("builders", OWNER, REGION),
    ]
    assert fake.endpoints == [None]
    out = result.out
    assert out.startswith(f"checked 2 image(s) in account {OWNER} {REGION}")
    assert "read-only: nothing was changed" in out
    header = out.splitlines()[1].split()
    assert header[:4] == ["IMAGE", "ACCOUNT", "REGION", "VERDICT"]
    assert "VIOLATION prod-app no-untrusted-builders account=999999999999" in out
    assert "VIOLATION prod-app prod-fleet-consumers account=999999999999 permission=fleet" in out
    assert "999999999999 -fleet,image_builder" in out  # what enforce mode would revoke
    assert out.rstrip().endswith("summary: 2 violation(s) on 1 image(s)")


def test_check_details_lists_every_verdict_and_change() -> None:
    result = run_cli(
        "check", "--region", REGION, "--policy", DEMO_POLICY, "--details",
        deps=_deps(FakeAppStream(IMAGES)),
    )  # fmt: skip
    assert "VIOLATION no-untrusted-builders  account=999999999999" in result.out
    assert "account 999999999999: fleet,builder -> none: DeleteImagePermissions" in result.out


def test_check_only_violations_hides_clean_images() -> None:
    result = run_cli(
        "check", "--region", REGION, "--policy", DEMO_POLICY, "--only-violations",
        deps=_deps(FakeAppStream(IMAGES)),
    )  # fmt: skip
    assert result.code == 1
    assert "prod-app" in result.out
    assert "app-base" not in result.out


def test_check_several_accounts_and_regions_with_a_role() -> None:
    built: list[tuple[str | None, str | None, list[str | None]]] = []
    fake = FakeAppStream([])

    def appstream_as(endpoint: str | None, profile: str | None, role_for: object) -> FakeAppStream:
        assert callable(role_for)
        built.append((endpoint, profile, [role_for(OWNER), role_for("210987654321")]))
        return fake

    deps = _deps(fake)
    deps.appstream_as = appstream_as
    result = run_cli(
        "check", "--regions", "us-east-1,eu-west-1", "--accounts", OWNER,
        "--accounts", "210987654321", "--role-name", "govbot-spoke", "--profile", "audit",
        "--policy", DEMO_POLICY, deps=deps,
    )  # fmt: skip
    assert result.code == 0, result.err
    # The caller's account (STS) is read directly; the others through the spoke role.
    assert built == [(None, "audit", [None, "arn:aws:iam::210987654321:role/govbot-spoke"])]
    assert [a for a in _asked(fake) if a[0] == "list"] == [
        ("list", OWNER, "us-east-1"), ("list", OWNER, "eu-west-1"),
        ("list", "210987654321", "us-east-1"), ("list", "210987654321", "eu-west-1"),
    ]  # fmt: skip
    # Then, per account and region, the images shared with it, its fleets and builders.
    assert [a for a in _asked(fake) if a[0] == "shared"] == [
        ("shared", OWNER, "us-east-1"), ("shared", OWNER, "eu-west-1"),
        ("shared", "210987654321", "us-east-1"), ("shared", "210987654321", "eu-west-1"),
    ]  # fmt: skip


def test_check_trusts_organization_members_like_the_enforcer() -> None:
    images = [_image("team-x", _share("444444444444", True, True))]
    org = FakeOrganizations(frozenset({"444444444444"}))
    trusted = run_cli(
        "check", "--region", REGION, "--policy", DEMO_POLICY,
        deps=_deps(FakeAppStream(images), org=org),
    )  # fmt: skip
    assert trusted.code == 0, trusted.out
    assert org.asked == [(None, None, 300.0)]  # the policy's organization.cache_seconds
    outsider = run_cli(
        "check", "--region", REGION, "--policy", DEMO_POLICY,
        deps=_deps(FakeAppStream(images)),
    )  # fmt: skip
    assert outsider.code == 1
    assert "no-untrusted-builders" in outsider.out


def test_check_organizations_failure_is_one_line() -> None:
    org = FakeOrganizations(error=RuntimeError("ListAccounts failed with AccessDenied"))
    result = run_cli(
        "check", "--region", REGION, "--policy", DEMO_POLICY,
        deps=_deps(FakeAppStream(IMAGES), org=org),
    )  # fmt: skip
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "ListAccounts failed with AccessDenied" in result.err
    assert "--no-organizations" in result.err


def test_check_one_clean_image_exits_0_and_uses_the_endpoint() -> None:
    fake = FakeAppStream(IMAGES)
    result = run_cli(
        "check", "--region", REGION, "--account", OWNER, "--image", "app-base",
        "--policy", DEMO_POLICY, "--endpoint-url", "http://127.0.0.1:9", deps=_deps(fake),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert _asked(fake) == [("describe", OWNER, REGION, "app-base")]
    assert fake.endpoints == ["http://127.0.0.1:9"]
    assert "summary: 0 violation(s) on 0 image(s)" in result.out


def test_check_json() -> None:
    fake = FakeAppStream(IMAGES)
    result = run_cli(
        "check", "--region", REGION, "--all", "--policy", DEMO_POLICY, "--json", deps=_deps(fake)
    )
    assert result.code == 1
    data = json.loads(result.out)
    assert data["account_ids"] == [OWNER]
    assert data["violations"] == 2
    assert [i["image_name"] for i in data["images"]] == ["app-base", "prod-app"]
    assert data["images"][1]["changes"][0]["operation"] == "DeleteImagePermissions"


def test_check_unknown_image_is_exit_2() -> None:
    result = run_cli(
        "check", "--region", REGION, "--account", OWNER, "--image", "nope",
        "--policy", DEMO_POLICY, deps=_deps(FakeAppStream(IMAGES)),
    )  # fmt: skip
    assert result.code == 2
    assert result.err.strip() == (
        f"govbot: error: image 'nope' not found in account {OWNER} {REGION}"
    )


def test_check_gateway_failure_is_one_line_exit_2() -> None:
    fake = FakeAppStream([], error=AppStreamGatewayError("AccessDenied", "DescribeImages", "no"))
    result = run_cli(
        "check", "--region", REGION, "--all", "--policy", DEMO_POLICY, deps=_deps(fake)
    )
    assert result.code == 2
    assert result.err.strip() == (
        f"govbot: error: cannot read images of account {OWNER} from AppStream in {REGION}: "
        "DescribeImages failed with AccessDenied: no"
    )


def test_check_refuses_an_account_the_credentials_do_not_act_in() -> None:
    fake = FakeAppStream([_image("x", owner="210987654321")], acting_in="210987654321")
    result = run_cli(
        "check", "--region", REGION, "--account", OWNER, "--all", "--policy", DEMO_POLICY,
        deps=_deps(fake),
    )  # fmt: skip
    assert result.code == 2
    assert "read images of account 210987654321" in result.err


def test_check_endpoint_url_asks_sts_at_that_endpoint_for_the_account() -> None:
    """The sandbox answers STS on its one endpoint: no --accounts needed there."""
    asked: list[tuple[Any, ...]] = []

    def sts(*args: Any) -> str:
        asked.append(args)
        return OWNER

    deps = _deps(FakeAppStream(IMAGES))
    deps.caller_account = sts
    result = run_cli(
        "check", "--region", REGION, "--all", "--policy", DEMO_POLICY, "--json",
        "--endpoint-url", "http://127.0.0.1:4566", deps=deps,
    )  # fmt: skip
    assert result.code == 1, result.err  # violations found, in the caller's account
    assert asked == [(REGION, None, "http://127.0.0.1:4566")]
    assert {i["image_arn"].split(":")[4] for i in json.loads(result.out)["images"]} == {OWNER}


def test_check_endpoint_without_sts_says_pass_accounts() -> None:
    def no_sts(*_args: Any) -> str:
        raise RuntimeError("UnknownOperationException")

    deps = _deps(FakeAppStream([]))
    deps.caller_account = no_sts
    result = run_cli(
        "check", "--region", REGION, "--all", "--policy", DEMO_POLICY,
        "--endpoint-url", "http://127.0.0.1:9", deps=deps,
    )  # fmt: skip
    assert result.code == 2
    assert "STS GetCallerIdentity at http://127.0.0.1:9" in result.err
    assert "pass --accounts ID" in result.err


def test_check_caller_identity_failure() -> None:
    def broken(_region: str, _profile: str | None = None) -> str:
        raise RuntimeError("Unable to locate credentials")

    deps = _deps(FakeAppStream([]))
    deps.caller_account = broken
    result = run_cli("check", "--region", REGION, "--all", "--policy", DEMO_POLICY, deps=deps)
    assert result.code == 2
    assert "cannot find the caller's account (STS GetCallerIdentity)" in result.err
    assert "Unable to locate credentials" in result.err


def test_check_bad_policy_fails_before_any_call(tmp_path: object) -> None:
    fake = FakeAppStream(IMAGES)
    result = run_cli(
        "check", "--region", REGION, "--all", "--policy", "/nonexistent/p.yaml", deps=_deps(fake)
    )
    assert result.code == 2
    assert result.err.strip() == "govbot: error: /nonexistent/p.yaml: file not found"
    assert fake.calls == []


def test_check_bad_region() -> None:
    result = run_cli(
        "check", "--region", "moon-1", "--all", "--policy", DEMO_POLICY,
        deps=_deps(FakeAppStream([])),
    )  # fmt: skip
    assert result.code == 2
    assert "--regions: unknown AWS region 'moon-1'" in result.err


def test_check_judges_fleets_on_images_others_share_with_the_account() -> None:
    vendor = ImageSnapshot(
        ref=ImageRef(account_id="999999999999", region=REGION, name="vendor-app"),
        visibility="SHARED",
    )
    trusted = ImageSnapshot(
        ref=ImageRef(account_id="111111111111", region=REGION, name="shared-base"),
        visibility="SHARED",
    )
    fake = FakeAppStream([_image("app-base"), vendor, trusted])
    fake.fleets = [
        FleetUsage(
            name=name,
            arn=f"arn:aws:appstream:{REGION}:{OWNER}:fleet/{name}",
            state="RUNNING",
            account_id=OWNER,
            region=REGION,
            image_name=image.ref.name,
            image_arn=image.ref.arn,
            desired_capacity=2,
            in_use=0,
        )
        for name, image in (("call-center", vendor), ("partner", trusted))
    ]

    result = run_cli("check", "--region", REGION, "--policy", DEMO_POLICY, deps=_deps(fake))

    assert result.code == 1, result.err
    assert f"shared with {OWNER}; used by: fleet call-center" in result.out
    assert (
        f"VIOLATION vendor-app trusted-image-owners account={OWNER} permission=fleet mode=enforce: "
        f"account {OWNER}'s fleet call-center runs image vendor-app" in result.out
    )
    assert "owned by account 999999999999 which is not a trusted image owner" in result.out
    assert "VIOLATION shared-base" not in result.out  # a trusted owner's image
    assert result.out.rstrip().endswith("summary: 1 violation(s) on 1 image(s)")
    as_json = run_cli(
        "check", "--region", REGION, "--policy", DEMO_POLICY, "--json", deps=_deps(fake)
    )
    arns = [image["image_arn"] for image in json.loads(as_json.out)["images"]]
    assert vendor.ref.arn in arns


AUDIT_POLICY = """\
version: 1
mode: audit
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
"""


def test_audit_mode_enforce_would_column_shows_the_change(tmp_path: Path) -> None:
    """In audit mode nothing is changed, and ENFORCE WOULD says what enforce mode would do."""
    policy = tmp_path / "audit.yaml"
    policy.write_text(AUDIT_POLICY)
    fake = FakeAppStream([_image("app-base", _share("999999999999", True, True))])
    result = run_cli(
        "check", "--region", REGION, "--account", OWNER, "--policy", str(policy),
        "--no-organizations", deps=_deps(fake),
    )  # fmt: skip
    assert result.code == 1, result.err
    (row,) = [line for line in result.out.splitlines() if line.startswith("app-base")]
    assert row.rstrip().endswith("999999999999 -image_builder"), result.out
    details = run_cli(
        "check", "--region", REGION, "--account", OWNER, "--policy", str(policy),
        "--no-organizations", "--json", deps=_deps(fake),
    )  # fmt: skip
    (image,) = json.loads(details.out)["images"]
    assert image["changes"] == []  # audit mode: govbot changes nothing
    assert image["enforce_would"] == [
        {"account_id": "999999999999", "revoked": ["image_builder"],
         "rule_ids": ["no-untrusted-builders"]}
    ]  # fmt: skip
