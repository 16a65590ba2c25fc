"""``govbot check``: evaluate live images' current permissions. Read-only, never remedies."""

from __future__ import annotations

import argparse
from typing import Any

from govbot.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    UsageError,
    parse_account,
    parse_image_name,
    parse_instant,
    parse_region,
)
from govbot.cli.deps import CliDeps
from govbot.cli.policy_cmd import load_policy_or_usage
from govbot.cli.render import evaluation_json, evaluation_lines
from govbot.domain import ImageRef, ImageSnapshot
from govbot.governance import build_judge
from govbot.policy import Evaluation


class CheckFailed(Exception):
    """AppStream (or STS) could not be read; the message says which call and why."""


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``check``."""
    check = subparsers.add_parser(
        "check",
        parents=parents,
        help="evaluate live images against a policy (read-only; exit 1 on violations)",
    )
    check.add_argument("--region", required=True, help="AppStream region, e.g. us-east-1")
    check.add_argument(
        "--account", help="owner account (default: the caller's, from STS GetCallerIdentity)"
    )
    target = check.add_mutually_exclusive_group(required=True)
    target.add_argument("--image", metavar="NAME", help="one image by name")
    target.add_argument("--all", action="store_true", help="every private image of the account")
    check.add_argument("--policy", required=True, metavar="FILE", help="policy YAML file")
    check.add_argument(
        "--endpoint-url", metavar="URL", help="AppStream endpoint (e.g. the sandbox emulator)"
    )
    check.add_argument(
        "--org-account",
        action="append",
        default=[],
        metavar="ID",
        help="an AWS Organization member account (repeatable)",
    )
    check.add_argument("--now", metavar="ISO", help="evaluation time (default: now)")
    check.set_defaults(handler=run_check)


def _resolve_account(args: argparse.Namespace, region: str, deps: CliDeps) -> str:
    if args.account:
        return parse_account(args.account, "--account")
    if args.endpoint_url:
        # STS cannot be asked through a custom AppStream endpoint.
        raise UsageError(
            "--account is required with --endpoint-url (the caller's account cannot be "
            "looked up through a custom endpoint)"
        )
    try:
        return parse_account(deps.caller_account(region), "caller account")
    except UsageError:
        raise
    except Exception as exc:  # botocore's many error types: report, never a traceback
        raise CheckFailed(
            f"cannot find the caller's account (STS GetCallerIdentity): {exc}"
        ) from None


def _read_images(
    args: argparse.Namespace, account: str, region: str, deps: CliDeps
) -> list[ImageSnapshot]:
    gateway = deps.appstream(args.endpoint_url)
    try:
        if args.image:
            ref = ImageRef(account_id=account, region=region, name=parse_image_name(args.image))
            snapshot = gateway.describe_image(ref)
            if snapshot is None:
                raise UsageError(f"image {args.image!r} not found in account {account} {region}")
            images = [snapshot]
        else:
            images = list(gateway.list_images(account, region))
    except UsageError:
        raise
    except Exception as exc:  # gateway errors and botocore transport failures alike
        raise CheckFailed(f"cannot read images from AppStream in {region}: {exc}") from None
    foreign = sorted({i.ref.account_id for i in images} - {account})
    if foreign:
        # The CLI acts with the ambient credentials only: they decide the account.
        raise UsageError(
            f"--account {account}: the credentials in use read images of account "
            f"{foreign[0]}; pass --account {foreign[0]} or use credentials of {account}"
        )
    return images


def run_check(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Read the images, evaluate each, print the verdicts; exit 1 on any violation."""
    region = parse_region(args.region)
    org = frozenset(parse_account(a, "--org-account") for a in args.org_account)
    now = parse_instant(args.now) if args.now else deps.now()
    policy = load_policy_or_usage(args.policy)
    account = _resolve_account(args, region, deps)
    images = _read_images(args, account, region, deps)
    # The same judge as the enforcer's (no ledger here: no Slack-granted exemptions).
    judge = build_judge(lambda: policy, org_accounts=lambda: org, clock=lambda: now)
    inputs = judge.inputs()
    evaluations: list[Evaluation] = [inputs.evaluate(image) for image in images]
    violations = sum(len(e.violations()) for e in evaluations)
    failing = sum(1 for e in evaluations if e.violations())
    if output.as_json:
        output.json(
            {
                "account_id": account,
                "region": region,
                "now": now.isoformat(),
                "images": [evaluation_json(e) for e in evaluations],
                "violations": violations,
            }
        )
    else:
        output.line(
            f"checked {len(evaluations)} image(s) in account {account} {region} against "
            f"{args.policy} (read-only: nothing was changed)"
        )
        for evaluation in evaluations:
            for line in evaluation_lines(evaluation):
                output.line(line)
        output.line(f"summary: {violations} violation(s) on {failing} image(s)")
    return EXIT_FINDINGS if violations else EXIT_OK
