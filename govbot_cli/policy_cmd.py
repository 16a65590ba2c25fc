"""``govbot policy validate|schema|explain|kinds``: policy files checked and tried offline."""

from __future__ import annotations

import argparse
from typing import Any

from govbot.domain import ImageRef, ImageSnapshot
from govbot.policy import Policy, PolicyError, evaluate
from govbot.policy.loader import load_policy
from govbot_cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    UsageError,
    parse_account,
    parse_image_name,
    parse_instant,
    parse_region,
    parse_shares,
    parse_tags,
)
from govbot_cli.deps import CliDeps
from govbot_cli.render import evaluation_json, evaluation_lines

# A hypothetical image needs an owner and a region for its ARN; neither changes a verdict.
PLACEHOLDER_ACCOUNT = "000000000000"
PLACEHOLDER_REGION = "us-east-1"


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``policy validate`` and ``policy explain``."""
    policy = subparsers.add_parser("policy", help="validate and explain policy files")
    commands = policy.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate", parents=parents, help="validate policy files (exit 2 if any is invalid)"
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="policy YAML files")
    validate.set_defaults(handler=run_validate)

    schema = commands.add_parser(
        "schema", parents=parents, help="print the JSON Schema of the policy file (for editors)"
    )
    schema.set_defaults(handler=run_schema)

    explain = commands.add_parser(
        "explain",
        parents=parents,
        help="evaluate a hypothetical image offline (exit 1 on any violation)",
    )
    explain.add_argument("file", metavar="FILE", help="policy YAML file")
    explain.add_argument("--image", required=True, metavar="NAME", help="image name")
    explain.add_argument(
        "--tag", action="append", default=[], metavar="KEY=VALUE", help="image tag (repeatable)"
    )
    explain.add_argument(
        "--share",
        action="append",
        default=[],
        metavar="ACCOUNT:PERMS",
        help="a share, e.g. 111111111111:fleet,builder (repeatable)",
    )
    explain.add_argument(
        "--org-account",
        action="append",
        default=[],
        metavar="ID",
        help="an AWS Organization member account (repeatable)",
    )
    explain.add_argument(
        "--now", metavar="ISO", help="evaluation time, e.g. 2026-11-27T16:00:00Z (default: now)"
    )
    explain.add_argument(
        "--account", default=PLACEHOLDER_ACCOUNT, help="owner account, for the ARN only"
    )
    explain.add_argument("--region", default=PLACEHOLDER_REGION, help="region, for the ARN only")
    explain.set_defaults(handler=run_explain)

    kinds = commands.add_parser(
        "kinds",
        parents=parents,
        help="list the Slack message kinds, their highest severity and (with --policy) routes",
    )
    kinds.add_argument("--policy", metavar="FILE", help="policy YAML file: show each kind's routes")
    kinds.set_defaults(handler=_run_kinds)


def policy_summary(policy: Policy) -> dict[str, int]:
    """Counts shown by ``validate``."""
    return {
        "rules": len(policy.rules),
        "exemptions": len(policy.exemptions),
        "golden": len(policy.golden),
    }


def policy_warnings(policy: Policy, now: Any) -> list[str]:
    """Valid but probably not meant: expired exemptions, routes and kinds that reach nobody."""
    from govbot_cli.policy_kinds import route_warnings

    warnings = [
        f"exemptions[{i}] {e.id!r}: expired at {e.expires.isoformat()}; it no longer applies"
        for i, e in enumerate(policy.exemptions)
        if not e.is_active(now)
    ]
    return warnings + route_warnings(policy)


def _run_kinds(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    from govbot_cli.policy_kinds import run_kinds

    return run_kinds(load_policy_or_usage(args.policy) if args.policy else None, output)


def run_schema(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Print the policy file's JSON Schema (from the pydantic models)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "govbot policy file"
    output.json(schema)
    return EXIT_OK


def run_validate(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Validate every file; report each one (with warnings); exit 2 if any is invalid."""
    results: list[dict[str, Any]] = []
    for path in args.files:
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            results.append({"file": path, "valid": False, "problems": list(exc.problems)})
            if not output.as_json and len(exc.problems) == 1:
                output.problem(f"INVALID {exc}")  # one problem, one line
            elif not output.as_json:
                output.problem(f"INVALID {path}")
                output.problem(str(exc))
            continue
        counts = policy_summary(policy)
        warnings = policy_warnings(policy, deps.now())
        results.append({"file": path, "valid": True, **counts, "warnings": warnings})
        if not output.as_json:
            output.line(
                f"OK {path} ({counts['rules']} rules, {counts['exemptions']} exemptions, "
                f"{counts['golden']} golden)"
            )
            for warning in warnings:
                output.problem(f"warning: {path}: {warning}")
    if output.as_json:
        output.json(results)
    return EXIT_OK if all(r["valid"] for r in results) else EXIT_USAGE


def load_policy_or_usage(path: str) -> Policy:
    """``load_policy`` whose error becomes a ``UsageError`` (the whole PolicyError text)."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None


def run_explain(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Evaluate the described image with the real engine; exit 1 on any violation."""
    name = parse_image_name(args.image)
    tags = parse_tags(args.tag)
    shares = parse_shares(args.share)
    org = frozenset(parse_account(a, "--org-account") for a in args.org_account)
    owner = parse_account(args.account, "--account")
    region = parse_region(args.region)
    now = parse_instant(args.now) if args.now else deps.now()
    policy = load_policy_or_usage(args.file)
    image = ImageSnapshot(
        ref=ImageRef(account_id=owner, region=region, name=name), tags=tags, shared_with=shares
    )
    evaluation = evaluate(image, policy, now, org_accounts=org)
    if output.as_json:
        output.json({"now": now.isoformat(), **evaluation_json(evaluation)})
    else:
        output.line(f"policy {args.file} (mode {policy.mode}), evaluated at {now.isoformat()}")
        for line in evaluation_lines(evaluation):
            output.line(line)
    return EXIT_FINDINGS if evaluation.violations() else EXIT_OK
