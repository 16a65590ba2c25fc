"""What ``check`` and ``report`` judge: accounts x regions, read like the deployed enforcer.

The verdict inputs are the enforcer's: the policy, the AWS Organization's members when the
policy trusts them (the functions' cached Organizations gateway), and the exemptions granted
from Slack (the ledger) when ``--table`` is given. Every AWS call here is read-only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO, cast

from govbot.domain import ImageSnapshot
from govbot.governance import build_judge
from govbot.ledger import ExemptionRecord
from govbot.policy import Evaluation, Policy
from govbot.policy.judge import EngineInputs
from govbot_cli.common import UsageError, parse_account, parse_instant, parse_region
from govbot_cli.deps import CliDeps
from govbot_cli.policy_cmd import load_policy_or_usage
from govbot_cli.tables import progress

if TYPE_CHECKING:
    from govbot_cli.deps import UsageReader


class ScopeReadFailed(Exception):
    """AWS could not be read; the message says which call, where, and why."""


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    """--policy, --regions/--accounts, --role-name, --profile, endpoints, --table, --now."""
    parser.add_argument("--policy", required=True, metavar="FILE", help="policy YAML file")
    parser.add_argument(
        "--regions", "--region", dest="regions", action="append", default=[], metavar="R[,R]",
        help="AppStream regions (comma-separated or repeated)",
    )  # fmt: skip
    parser.add_argument(
        "--accounts", "--account", dest="accounts", action="append", default=[],
        metavar="A[,A]", help="owner accounts (default: the caller's, from STS)",
    )  # fmt: skip
    parser.add_argument(
        "--role-name",
        help="role to assume in accounts other than the caller's (the spoke remediation role; "
        "only read calls are made)",
    )
    parser.add_argument("--profile", help="AWS profile of the credentials to use")
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="AppStream endpoint (e.g. the sandbox emulator)"
    )
    parser.add_argument(
        "--org-endpoint-url", metavar="URL", help="AWS Organizations endpoint (sandbox)"
    )
    parser.add_argument(
        "--org-account", action="append", default=[], metavar="ID",
        help="an AWS Organization member account, in addition to Organizations' answer",
    )  # fmt: skip
    parser.add_argument(
        "--no-organizations", action="store_true",
        help="do not ask AWS Organizations (use --org-account only)",
    )  # fmt: skip
    parser.add_argument("--table", help="ledger table: adds the exemptions granted from Slack")
    parser.add_argument("--ledger-endpoint-url", metavar="URL", help="DynamoDB endpoint")
    parser.add_argument("--now", metavar="ISO", help="evaluation time (default: now)")


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


@dataclass
class Scope:
    """Everything read before judging: policy, where to look, and the verdict inputs."""

    policy: Policy
    policy_file: str
    regions: list[str]
    accounts: list[str]
    now: datetime
    org_accounts: frozenset[str] = frozenset()
    granted: list[ExemptionRecord] = field(default_factory=list)
    ledger: Any = None
    reader: Any = None  # the AppStream reader, built once per run

    def judge(self) -> EngineInputs:
        """The enforcer's judge, fixed at ``now``: the same inputs as a deployed evaluation."""
        return build_judge(
            lambda: self.policy,
            exemption_store=_Granted(self.granted),
            org_accounts=lambda: self.org_accounts,
            clock=lambda: self.now,
        ).inputs(self.now)

    def evaluate(self, image: ImageSnapshot) -> Evaluation:
        """The enforcer's verdict on ``image``."""
        return self.judge().evaluate(image)


@dataclass(frozen=True)
class _Granted:
    """The exemptions read from the ledger once, as the judge's exemption store."""

    records: list[ExemptionRecord]

    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        return [r for r in self.records if now is None or r.is_active(now)]


def _caller(args: argparse.Namespace, region: str, deps: CliDeps) -> str:
    """The caller's account from STS GetCallerIdentity; with ``--endpoint-url``, the STS of
    that endpoint (the sandbox answers it; the bare emulator does not: then --accounts)."""
    endpoint = [args.endpoint_url] if args.endpoint_url else []
    try:
        return parse_account(deps.caller_account(region, args.profile, *endpoint), "caller account")
    except Exception as exc:  # botocore's many error types: report, never a traceback
        where = f" at {args.endpoint_url}" if args.endpoint_url else ""
        raise ScopeReadFailed(
            f"cannot find the caller's account (STS GetCallerIdentity{where}): {exc}; "
            "pass --accounts ID"
        ) from None


def read_scope(args: argparse.Namespace, deps: CliDeps) -> Scope:
    """Validate the arguments, load the policy, ask Organizations and the ledger."""
    regions = [parse_region(r, "--regions") for r in _split(args.regions)]
    if not regions:
        raise UsageError("--regions: at least one region is required, e.g. --regions us-east-1")
    accounts = [parse_account(a, "--accounts") for a in _split(args.accounts)]
    extra_org = frozenset(parse_account(a, "--org-account") for a in args.org_account)
    now = parse_instant(args.now) if args.now else deps.now()
    policy = load_policy_or_usage(args.policy)
    if not accounts:
        accounts = [_caller(args, regions[0], deps)]
    scope = Scope(policy, args.policy, regions, accounts, now, org_accounts=extra_org)
    trusting = policy.organization.trust_member_accounts
    if trusting and not args.no_organizations:
        try:
            members = deps.org_members(
                args.profile, args.org_endpoint_url, float(policy.organization.cache_seconds)
            )
        except Exception as exc:  # OrganizationsError and transport failures alike
            raise ScopeReadFailed(
                f"{exc} (pass --no-organizations with --org-account ID to list members yourself)"
            ) from None
        scope.org_accounts = extra_org | members
    if args.table:
        try:
            scope.ledger = deps.ledger(args.table, regions[0], args.ledger_endpoint_url)
            scope.granted = list(scope.ledger.active_exemptions(now))
        except Exception as exc:  # botocore and ledger errors
            raise ScopeReadFailed(f"cannot read ledger table {args.table!r}: {exc}") from None
    return scope


def _reader(args: argparse.Namespace, scope: Scope, deps: CliDeps) -> Any:
    if scope.reader is None:
        scope.reader = _new_reader(args, scope, deps)
    return scope.reader


def _new_reader(args: argparse.Namespace, scope: Scope, deps: CliDeps) -> Any:
    if not args.profile and not args.role_name:
        return deps.appstream(args.endpoint_url)
    role = args.role_name
    home: str | None = None
    if role:
        # The caller's own account has no spoke role (as deployed): act there directly.
        try:
            home = deps.caller_account(scope.regions[0], args.profile)
        except Exception:  # no STS answer: assume the role everywhere
            home = None

    def role_arn_for(account: str) -> str | None:
        if not role or account == home:
            return None
        return f"arn:aws:iam::{account}:role/{role}"

    return deps.appstream_as(args.endpoint_url, args.profile, role_arn_for)


def read_exits(
    args: argparse.Namespace, scope: Scope, deps: CliDeps, images: list[ImageSnapshot]
) -> list[ImageSnapshot]:
    """``images`` with their exit facts (exports and their AMIs' launch permissions,
    builders' and fleets' settings) when a rule of the policy judges them, read-only."""
    from govbot.enforcer.exits import reads_exits

    exits = deps.exits(_reader(args, scope, deps)) if reads_exits(scope.policy) else None
    if exits is None:
        return images
    listed: dict[tuple[str, str], Any] = {}
    enriched = []
    for image in images:
        place = (image.ref.account_id, image.ref.region)
        try:
            if place not in listed:
                listed[place] = exits.export_tasks(*place)
            enriched.append(exits.enrich(image, scope.policy, exports=listed[place]))
        except Exception as exc:  # gateway errors and botocore transport failures alike
            raise ScopeReadFailed(
                f"cannot read the exports and builders of {image.ref.arn}: {exc}"
            ) from None
    return enriched


def read_images(
    args: argparse.Namespace,
    scope: Scope,
    deps: CliDeps,
    err: TextIO,
    *,
    image_name: str | None = None,
) -> list[ImageSnapshot]:
    """Every private image of every account x region (or one image by name), read-only."""
    from govbot.domain import ImageRef

    gateway = _reader(args, scope, deps)
    images: list[ImageSnapshot] = []
    places = [(a, r) for a in scope.accounts for r in scope.regions]
    with progress(err, len(places), "reading images") as advance:
        for account, region in places:
            try:
                if image_name:
                    found = gateway.describe_image(
                        ImageRef(account_id=account, region=region, name=image_name)
                    )
                    listed = [found] if found is not None else []
                else:
                    listed = list(gateway.list_images(account, region))
            except Exception as exc:  # gateway errors and botocore transport failures alike
                raise ScopeReadFailed(
                    f"cannot read images of account {account} from AppStream in {region}: {exc}"
                ) from None
            foreign = sorted({i.ref.account_id for i in listed} - {account})
            if foreign:
                raise UsageError(
                    f"--accounts {account}: the credentials in use read images of account "
                    f"{foreign[0]}; pass --accounts {foreign[0]}, or --role-name to act in "
                    f"{account}"
                )
            images += listed
            advance(f"{account} {region}")
    if image_name and not images:
        where = ", ".join(f"account {a} {r}" for a, r in places)
        raise UsageError(f"image {image_name!r} not found in {where}")
    return images


def read_inbound(
    args: argparse.Namespace, scope: Scope, deps: CliDeps, err: TextIO
) -> list[ImageSnapshot]:
    """Images owned outside ``--accounts`` that they list as shared with them or run in a
    fleet or image builder, each as seen from the account (read-only; as the sweep reads)."""
    from govbot.enforcer.inbound import foreign_images

    gateway = cast("UsageReader", _reader(args, scope, deps))
    found: list[ImageSnapshot] = []
    places = [(a, r) for a in scope.accounts for r in scope.regions]
    with progress(err, len(places), "reading images shared with the accounts") as advance:
        for account, region in places:
            try:
                listed = list(
                    gateway.list_images(account, region, visibility="SHARED", details=False)
                )
                fleets = gateway.list_fleets(account, region)
                builders = gateway.list_image_builders(account, region)
            except Exception as exc:  # gateway errors and botocore transport failures alike
                raise ScopeReadFailed(
                    f"cannot read the images shared with account {account}, its fleets or its "
                    f"image builders from AppStream in {region}: {exc}"
                ) from None
            found += foreign_images(
                account, region, fleets, builders, governed=frozenset(scope.accounts), listed=listed
            )
            advance(f"{account} {region}")
    return found
